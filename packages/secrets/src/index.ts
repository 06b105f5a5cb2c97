export {
  DEVELOPMENT_KEY,
  isSealed,
  keyId,
  parseKey,
  SEALED_VERSION,
  SecretBox,
  SecretBoxError,
} from './secret-box';
export {
  CREDENTIALS_MASK,
  hasCredentials,
  hasSealedCredentials,
  redactOrigin,
  renderOrigin,
  revealOrigin,
  SEALED_USER,
  sealOrigin,
  storedOriginFor,
} from './origin-credentials';
