/**
 * A deterministic "meaning" embedding for tests: every word is mapped to a concept (synonyms share
 * one: `car`, `automobile` and `vehicle` are all `vehicle`), and a text's vector is the normalized
 * sum of its concepts' axes. So a synonym query finds its document — which hashed trigrams cannot
 * (`automobile` and `car` share no trigram) — while unrelated words stay orthogonal.
 */
export const CONCEPTS: Record<string, string> = {
  car: 'vehicle',
  cars: 'vehicle',
  automobile: 'vehicle',
  automobiles: 'vehicle',
  vehicle: 'vehicle',
  physician: 'doctor',
  doctor: 'doctor',
  medic: 'doctor',
  sofa: 'couch',
  couch: 'couch',
  settee: 'couch',
  feline: 'cat',
  cat: 'cat',
  kitten: 'cat',
};

const STOPWORDS = new Set(['a', 'an', 'the', 'my', 'is', 'was', 'i', 'to', 'of', 'and', 'in', 'on', 'for', 'me']);

function axis(concept: string, dims: number, salt: string): number {
  let hash = 0x811c9dc5;
  for (const ch of `${salt}${concept}`) hash = Math.imul(hash ^ ch.charCodeAt(0), 0x01000193);
  return (hash >>> 0) % dims;
}

/**
 * The concept vector of `text` in `dims` dimensions; `salt` makes another "model" (other axes,
 * so its vectors are meaningless next to this one's). Null when no word carries a concept.
 */
export function conceptVector(text: string, dims: number, salt = ''): number[] | null {
  const vector = new Array<number>(dims).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (STOPWORDS.has(word)) continue;
    const i = axis(CONCEPTS[word] ?? word, dims, salt);
    vector[i] = (vector[i] ?? 0) + 1;
  }
  const norm = Math.hypot(...vector);
  return norm === 0 ? null : vector.map((x) => x / norm);
}
