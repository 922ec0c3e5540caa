import { ModelCatalogView } from '@chatgraph/kit/read-models';
import { checkModel } from './limits';

/**
 * Conversation's read model of ai-gateway's model catalog (the kit's, `@chatgraph/kit/read-models`,
 * where its staleness and bootstrap rules are written), so a turn naming a model that does not
 * exist is refused at the mutation.
 */
export { ModelCatalogView, modelCatalogSpec, modelCatalogHandler, subscribeModelCatalog } from '@chatgraph/kit/read-models';

/** The consumer group that keeps the catalog read model. */
export const MODEL_CATALOG_GROUP = 'conversation.model-catalog';

/** A model name a client gave: its length checked (limits.ts), then checked against the catalog when there is a view. */
export async function knownModel(view: ModelCatalogView | undefined, model: string | null | undefined): Promise<string | undefined> {
  const checked = checkModel(model);
  return view ? view.check(checked) : checked;
}
