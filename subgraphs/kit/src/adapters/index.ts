export * from './documentStore';
