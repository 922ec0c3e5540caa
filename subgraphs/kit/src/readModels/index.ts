/**
 * Read models every service may keep of another's facts, fed by that service's events: the model
 * catalog (ai-gateway's) and the files (the file service's).
 */
export * from './modelCatalog';
export * from './knownFiles';
