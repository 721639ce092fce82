import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router';
import { useSession } from '@/composables/useSession';

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean;
    requiresChannelAdmin?: boolean;
    requiresSuperAdmin?: boolean;
    title?: string;
  }
}

const EMAILS = '/admin/support-channel/emails';
const SECURITY = '/admin/organization/security';

const admin = (title: string) => ({ requiresChannelAdmin: true, title });

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
    { path: '/profile', name: 'profile', component: () => import('@/views/ProfileView.vue'), meta: { title: 'Your profile' } },
    { path: '/admin', redirect: { name: 'incoming-email-servers' } },
    // The OAuth callback sends the browser here with ?oauth=ok|error&server=…; keep the query.
    { path: '/admin/incoming-servers', redirect: (to) => ({ name: 'incoming-email-servers', query: to.query }) },
    {
      path: `${EMAILS}/incoming-email-servers`,
      name: 'incoming-email-servers',
      component: () => import('@/views/IncomingEmailServersView.vue'),
      meta: admin('Incoming Email Servers'),
    },
    {
      path: `${EMAILS}/incoming-email-rules`,
      name: 'incoming-email-rules',
      component: () => import('@/views/IncomingEmailRulesView.vue'),
      meta: admin('Incoming Email Rules'),
    },
    {
      path: `${EMAILS}/email-preference`,
      name: 'email-preference',
      component: () => import('@/views/EmailPreferenceView.vue'),
      meta: admin('Email Preference'),
    },
    {
      path: `${EMAILS}/outgoing-email-servers`,
      name: 'outgoing-email-servers',
      component: () => import('@/views/OutgoingServersView.vue'),
      meta: admin('Outgoing Email Servers'),
    },
    {
      path: `${EMAILS}/proxy-servers`,
      name: 'proxy-servers',
      component: () => import('@/views/ProxyServersView.vue'),
      meta: admin('Proxy Servers'),
    },
    {
      path: `${EMAILS}/quarantine`,
      name: 'quarantine',
      component: () => import('@/views/QuarantineView.vue'),
      meta: admin('Quarantine'),
    },
    {
      path: `${SECURITY}/email-audit`,
      name: 'email-audit',
      component: () => import('@/views/EmailAuditView.vue'),
      meta: admin('Email Audit'),
    },
    {
      path: `${SECURITY}/configuration-audit`,
      name: 'configuration-audit',
      component: () => import('@/views/ConfigAuditView.vue'),
      meta: admin('Configuration Audit Trail'),
    },
    { path: '/admin/organization/users', name: 'users', component: () => import('@/views/UsersView.vue'), meta: admin('Users') },
    { path: '/admin/organization/roles', name: 'roles', component: () => import('@/views/RolesView.vue'), meta: { requiresSuperAdmin: true, title: 'Roles & Permissions' } },
    { path: '/admin/organization/priorities-and-request-types', name: 'ticket-lists', component: () => import('@/views/TicketListsView.vue'), meta: admin('Priorities & Request Types') },
    {
      path: '/admin/organization/groups-and-categories',
      name: 'catalog',
      component: () => import('@/views/CatalogView.vue'),
      meta: admin('Groups, Categories & Companies'),
    },
    {
      path: '/:pathMatch(.*)*',
      name: 'not-found',
      component: () => import('@/views/NotFoundView.vue'),
      meta: { title: 'Not found' },
    },
  ],
  scrollBehavior(to, from, saved) {
    if (saved) return saved;
    // Filters live in the query; changing one should not jump to the top.
    if (to.path === from.path) return false;
    return { top: 0 };
  },
});

/** Only same-app paths are accepted as a post-sign-in destination. */
export function safeRedirect(value: unknown): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//')
    ? value
    : '/requests';
}

/** Starts downloading a lazy route's code while the guard still waits for the session. */
function prefetch(to: RouteLocationNormalized): void {
  for (const record of to.matched) {
    const component = record.components?.default;
    if (typeof component === 'function') void (component as () => Promise<unknown>)();
  }
}

router.beforeEach(async (to: RouteLocationNormalized) => {
  const session = useSession();
  prefetch(to);
  const user = await session.ensureLoaded();
  if (to.meta.public) {
    return to.name === 'signin' && user ? safeRedirect(to.query.redirect) : true;
  }
  if (!user) {
    return { name: 'signin', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } };
  }
  if ((to.meta.requiresChannelAdmin && !user.canManageSupportChannels) || (to.meta.requiresSuperAdmin && !user.isSuperAdmin)) {
    return { name: 'requests', query: { denied: '1' } };
  }
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · Mailroom` : 'Mailroom';
});
