import {
  Kind,
  valueFromASTUntyped,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type FragmentDefinitionNode,
  type DocumentNode,
} from 'graphql';

/** One root field as executed: its name and, for account flows, the e-mail address it names. */
export interface RootFieldUse {
  name: string;
  email?: string;
}

function emailIn(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length <= 320 ? value : undefined;
  if (value !== null && typeof value === 'object' && 'email' in value) return emailIn((value as { email: unknown }).email);
  return undefined;
}

/**
 * The root fields of an operation, once per occurrence (aliases count: `a: login b: login` is two
 * logins), through fragments, with the `email` argument (or `input.email`) each names, whether
 * written inline or passed as a variable: per-account limits must not be bypassed by either form.
 */
export function rootFieldUses(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>>,
): RootFieldUse[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const uses: RootFieldUse[] = [];
  const seen = new Set<string>();
  const walk = (selectionSet: SelectionSetNode): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const use: RootFieldUse = { name: selection.name.value };
        for (const arg of selection.arguments ?? []) {
          if (arg.name.value !== 'email' && arg.name.value !== 'input') continue;
          const email = emailIn(valueFromASTUntyped(arg.value, variables as Record<string, unknown>));
          if (email !== undefined) use.email = email;
        }
        uses.push(use);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet);
      } else {
        const fragment = fragments.get(selection.name.value);
        // Validation rejects cycles; the guard keeps this walk finite anyway.
        if (fragment && !seen.has(fragment.name.value)) {
          seen.add(fragment.name.value);
          walk(fragment.selectionSet);
          seen.delete(fragment.name.value);
        }
      }
    }
  };
  walk(operation.selectionSet);
  return uses;
}
