import { GraphQLScalarType, Kind } from 'graphql';
import { codedError } from './errors';

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) throw codedError('BAD_USER_INPUT', 'DateTime must be an ISO-8601 string');
  return date;
}

/** The `DateTime` scalar every subgraph declares: ISO-8601 in UTC on the wire, `Date` inside. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(value) {
    const date = value instanceof Date ? value : parseDate(value);
    return date.toISOString();
  },
  parseValue: parseDate,
  parseLiteral(ast) {
    return parseDate(ast.kind === Kind.STRING ? ast.value : null);
  },
});
