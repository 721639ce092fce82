import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router';
import { useSession } from '@/composables/useSession';

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean;
    requiresChannelAdmin?: boolean;
    title?: string;
  }
}

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', redirect: { name: 'requests' } },
    {
      path: '/signin',
      name: 'signin',
      component: () => import('@/views/SignInView.vue'),
      meta: { public: true, title: 'Sign in' },
    },
    {
      path: '/requests',
      name: 'requests',
      component: () => import('@/views/RequestsView.vue'),
      meta: { title: 'Requests' },
    },
    {
      path: '/requests/:id',
      name: 'ticket',
      component: () => import('@/views/TicketView.vue'),
      props: true,
      meta: { title: 'Request' },
    },
    { path: '/admin', redirect: { name: 'incoming-email-servers' } },
    {
      path: '/admin/support-channel/emails/incoming-email-servers',
      name: 'incoming-email-servers',
      component: () => import('@/views/IncomingEmailServersView.vue'),
      meta: { requiresChannelAdmin: true, title: 'Incoming Email Servers' },
    },
    {
      path: '/:pathMatch(.*)*',
      name: 'not-found',
      component: () => import('@/views/NotFoundView.vue'),
      meta: { title: 'Not found' },
    },
  ],
});

/** Only same-app paths are accepted as a post-sign-in destination. */
export function safeRedirect(value: unknown): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//')
    ? value
    : '/requests';
}

router.beforeEach(async (to: RouteLocationNormalized) => {
  const session = useSession();
  const user = await session.ensureLoaded();
  if (to.meta.public) {
    return to.name === 'signin' && user ? safeRedirect(to.query.redirect) : true;
  }
  if (!user) {
    return { name: 'signin', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } };
  }
  if (to.meta.requiresChannelAdmin && !user.canManageSupportChannels) {
    return { name: 'requests' };
  }
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · Mailroom` : 'Mailroom';
});
