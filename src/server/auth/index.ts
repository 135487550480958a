export { Authenticator, MAX_AUTHORIZATION_BYTES } from './authenticator.js';
export { addAuthHook, callerOf, type AuthHookOptions } from './auth-hook.js';
export { JwtVerifier } from './jwt-verifier.js';
export { TokensFile, type TokensFileLog } from './tokens-file.js';
