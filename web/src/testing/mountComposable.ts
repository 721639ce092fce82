import { createRenderer, defineComponent, h } from 'vue';
import urql, { type Client } from '@urql/vue';

// A renderer that draws nothing: composables get a real component instance (setup, inject,
// lifecycle hooks) without a DOM.
const { createApp } = createRenderer<object, object>({
  createElement: () => ({}),
  createText: () => ({}),
  createComment: () => ({}),
  insert: () => {},
  remove: () => {},
  setText: () => {},
  setElementText: () => {},
  parentNode: () => null,
  nextSibling: () => null,
  patchProp: () => {},
});

/** Runs `setup` inside a mounted component that has `client` installed; `unmount` ends it. */
export function mountComposable<T>(client: Client, setup: () => T): { result: T; unmount: () => void } {
  let result: T | undefined;
  const app = createApp(
    defineComponent({
      setup() {
        result = setup();
        return () => h('div');
      },
    }),
  );
  app.use(urql, client);
  app.mount({});
  return { result: result as T, unmount: () => app.unmount() };
}
