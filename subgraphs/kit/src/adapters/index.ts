export * from './documentStore';
export * from './eventBus';
