// Sessions are opened and revoked in shared/accounts/sessions.ts and the domain commands; this
// re-export stays only for test files of other areas that still import it from here.
export { issueSession } from '../../shared/accounts/sessions.js';
