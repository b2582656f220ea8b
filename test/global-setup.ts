// Placeholder: replaced by the database/redis set-up of the integration suite.
export default function globalSetup(): void {}
