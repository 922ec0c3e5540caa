/**
 * ai-gateway has every subgraph's shape (docs/architecture.md): its rules live in `service.ts`
 * and the `domain/` folder that `service.ts` names, and the rest of the service reaches them
 * through `service.ts` only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const src = path.join(__dirname, '..', 'src');
const service = readFileSync(path.join(src, 'service.ts'), 'utf8');
const domainFiles = readdirSync(path.join(src, 'domain')).filter((file) => file.endsWith('.ts'));

it('names every file of domain/ in service.ts', () => {
  expect(domainFiles.length).toBeGreaterThan(0);
  for (const file of domainFiles) expect(service).toContain(`domain/${file}`);
});

it('builds the service from service.ts, never from domain/ directly', () => {
  const outside = readdirSync(src).filter((file) => file.endsWith('.ts') && file !== 'service.ts');
  for (const file of outside) expect(`${file}: ${readFileSync(path.join(src, file), 'utf8')}`).not.toMatch(/from '\.\/domain\//);
});
