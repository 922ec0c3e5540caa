export * from './documentStore';
export * from './eventBus';
export * from './kvStore';
