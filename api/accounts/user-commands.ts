// User creation lives in shared/ so that the administration CLI (which imports no role) uses it too.
export { createUser, uniqueConflict, usernameTaken } from '../../shared/accounts/create-user.js';
