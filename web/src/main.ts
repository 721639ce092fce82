import { createApp } from 'vue';
import urql from '@urql/vue';
import App from '@/App.vue';
import { useSession } from '@/composables/useSession';
import { client, onUnauthenticated } from '@/graphql/client';
import { router } from '@/router';
import '@/styles/global.css';

let checking = false;
onUnauthenticated(async () => {
  const session = useSession();
  if (checking || !session.user.value) return;
  checking = true;
  const stillSignedIn = await session.recheck().finally(() => (checking = false));
  if (stillSignedIn || !session.expired()) return;
  const current = router.currentRoute.value;
  void router.replace({ name: 'signin', query: { redirect: current.fullPath, expired: '1' } });
});

createApp(App).use(urql, client).use(router).mount('#app');
