import { leadingFragment, markedFragment } from '../../src/search/embedded/highlight';

/** Fragments shaped like Elasticsearch's unified highlighter (compared by hand against 9.5). */
describe('embedded highlight fragments', () => {
  const terms = new Set(['pelican', 'habits']);

  it('returns the sentence with the most distinct terms, escaped, terms marked', () => {
    const text = 'A pelican flew by. Later the <pelican> & its habits were noted. Nothing else.';
    expect(markedFragment(text, terms)).toBe('Later the &lt;<mark>pelican</mark>&gt; &amp; its <mark>habits</mark> were noted.');
  });

  it('cuts a sentence longer than a fragment around the first match, at word boundaries', () => {
    const text = `${'lead words '.repeat(20)}the pelican ${'tail words '.repeat(20)}`;
    const fragment = markedFragment(text, terms) ?? '';
    expect(fragment).toContain('<mark>pelican</mark>');
    expect(fragment.length).toBeLessThanOrEqual(150 + '<mark></mark>'.length);
    // Whole words only: the unmarked fragment sits between two spaces of the original text.
    expect(text).toContain(` ${fragment.replace(/<\/?mark>/g, '')} `);
  });

  it('has no marked fragment without a term, and a word-bounded start of text instead', () => {
    expect(markedFragment('nothing here', terms)).toBeUndefined();
    const leading = leadingFragment('word '.repeat(60));
    expect(leading.length).toBeLessThanOrEqual(150);
    expect(leading).toMatch(/^(word )*word$/);
  });
});
