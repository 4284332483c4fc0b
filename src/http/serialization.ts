/**
 * Response serializers, compiled once per schema for the whole process rather than once per app. Compiling
 * (fast-json-stringify) is most of what building the app costs — about 300 ms for our ~90 routes — and the
 * suite builds an app per test, so a second app with the same schemas reuses the first one's functions. A
 * serializer is a pure function of its schema and the shared schemas it may reference, so both are the key.
 */
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type SerializerFactory = ReturnType<typeof SerializerSelector>;

const compile = SerializerSelector();
const serializers = new Map<string, (data: unknown) => string>();

export const cachedSerializerFactory: SerializerFactory = (externalSchemas, serializerOptions) => {
  const compileForApp = compile(externalSchemas, serializerOptions);
  const shared = JSON.stringify([externalSchemas, serializerOptions]);
  return (route) => {
    const key = `${shared}\n${JSON.stringify(route.schema)}`;
    let serializer = serializers.get(key);
    if (!serializer) {
      serializer = compileForApp(route);
      serializers.set(key, serializer);
    }
    return serializer;
  };
};
