/**
 * streaming's SDL composes with the subgraphs already in the supergraph (identity, conversation)
 * under @apollo/composition, exactly as schema/compose.ts composes them: the shared `MessageStatus`
 * enum and `DateTime` scalar agree, and `Message`/`Conversation` resolve through conversation.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, Kind, parse, type EnumTypeDefinitionNode, type GraphQLObjectType } from 'graphql';
import { composeSupergraph } from '@chatgraph/schema/composition';
import { STREAMING_SCHEMA_PATH } from '../src/server';

const sdlOf = (name: string): string => readFileSync(path.join(__dirname, '..', '..', name, 'src', 'schema.graphql'), 'utf8');
const service = (name: string, sdl = sdlOf(name)) => ({ name, url: `http://${name}:4000/graphql`, sdl });

describe('composition', () => {
  const streaming = readFileSync(STREAMING_SCHEMA_PATH, 'utf8');

  it('composes with identity and conversation into an API schema with the streaming fields', () => {
    const { apiSchemaSdl } = composeSupergraph([service('identity'), service('conversation'), service('streaming', streaming)]);
    const api = buildSchema(apiSchemaSdl);
    const messageStream = api.getSubscriptionType()?.getFields().messageStream;
    expect(messageStream?.type.toString()).toBe('StreamChunk!');
    expect(messageStream?.args.map((a) => `${a.name}: ${a.type.toString()}`)).toEqual(['streamId: ID!', 'after: Int']);
    expect(api.getMutationType()?.getFields().stopGeneration?.type.toString()).toBe('Boolean!');
    expect(api.getQueryType()?.getFields().activeStreams?.type.toString()).toBe('[StreamInfo!]!');
    // The chunk's message is conversation's full Message, so `message { content conversation { title } }` plans.
    const chunk = api.getType('StreamChunk') as GraphQLObjectType;
    expect(chunk.getFields().message?.type.toString()).toBe('Message');
    const message = api.getType('Message') as GraphQLObjectType;
    expect(Object.keys(message.getFields())).toEqual(expect.arrayContaining(['content', 'status', 'conversation']));
    expect(api.getType('MessageStatus')?.toString()).toBe('MessageStatus');
  });

  it('defines MessageStatus and FinishReason exactly as conversation does (an output enum would otherwise merge silently)', () => {
    const values = (sdl: string, name: string) => {
      const definition = parse(sdl).definitions.find(
        (d): d is EnumTypeDefinitionNode => d.kind === Kind.ENUM_TYPE_DEFINITION && d.name.value === name,
      );
      return (definition?.values ?? []).map((v) => [v.name.value, v.description?.value]);
    };
    expect(values(streaming, 'MessageStatus').map(([name]) => name)).toEqual(['PENDING', 'STREAMING', 'COMPLETE', 'FAILED', 'ABORTED']);
    expect(values(streaming, 'MessageStatus')).toEqual(values(sdlOf('conversation'), 'MessageStatus'));
    expect(values(streaming, 'FinishReason')).toEqual(values(sdlOf('conversation'), 'FinishReason'));
  });

  it('references Message and Conversation without resolving them (conversation owns both)', () => {
    const { supergraphSdl } = composeSupergraph([service('identity'), service('conversation'), service('streaming', streaming)]);
    expect(supergraphSdl).toMatch(/type Message\b[^{]*@join__type\(graph: STREAMING, key: "id", resolvable: false\)/);
    expect(supergraphSdl).toMatch(/type Conversation\b[^{]*@join__type\(graph: STREAMING, key: "id", resolvable: false\)/);
  });
});
