import { createApp } from 'vue';
import urql from '@urql/vue';
import App from '@/App.vue';
import { useSession } from '@/composables/useSession';
import { client, onUnauthenticated } from '@/graphql/client';
import { router } from '@/router';
import '@/styles/global.css';

onUnauthenticated(() => {
  if (!useSession().expired()) return;
  const current = router.currentRoute.value;
  void router.replace({ name: 'signin', query: { redirect: current.fullPath } });
});

createApp(App).use(urql, client).use(router).mount('#app');
