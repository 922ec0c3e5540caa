import { splitTarget } from '../src/http';

describe('splitTarget (routing a request target without a URL object)', () => {
  it('splits the origin form on its first question mark', () => {
    expect(splitTarget('/graphql')).toEqual({ path: '/graphql', search: '' });
    expect(splitTarget('/graphql?query=%7Bme%7D&x=?')).toEqual({ path: '/graphql', search: '?query=%7Bme%7D&x=?' });
    expect(splitTarget('/')).toEqual({ path: '/', search: '' });
  });

  it('parses other forms as URLs', () => {
    expect(splitTarget('http://example.com/graphql?a=1')).toEqual({ path: '/graphql', search: '?a=1' });
    expect(splitTarget('//evil.example/graphql')).toEqual({ path: '/graphql', search: '' });
    expect(splitTarget('*')).toEqual({ path: '/*', search: '' });
  });
});
