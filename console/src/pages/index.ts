import type { ComponentType } from 'react';
import type { Api } from '../api/client';
import { AuditPage } from './AuditPage';
import { BudgetsPage } from './BudgetsPage';
import { MarketplacePage } from './MarketplacePage';
import { ModelsPage } from './ModelsPage';
import { OverviewPage } from './OverviewPage';
import { PoliciesPage } from './PoliciesPage';
import { TrainingPage } from './TrainingPage';

export interface PageProps {
  api: Api;
  /** The tenant the page shows: the user's own, or the one a platform operator picked. */
  tenant: string;
  /** Every tenant the user may see (the operator's list, or the user's own). */
  tenants: string[];
  /** Whether the user is a platform operator, who may read what no single tenant owns. */
  operator: boolean;
}

export interface Page {
  path: string;
  title: string;
  component: ComponentType<PageProps>;
}

export const PAGES: Page[] = [
  { path: 'overview', title: 'Overview', component: OverviewPage },
  { path: 'budgets', title: 'Budgets', component: BudgetsPage },
  { path: 'marketplace', title: 'Marketplace', component: MarketplacePage },
  { path: 'training', title: 'Training', component: TrainingPage },
  { path: 'policies', title: 'Policies', component: PoliciesPage },
  { path: 'models', title: 'Models', component: ModelsPage },
  { path: 'audit', title: 'Audit', component: AuditPage },
];

export function pageOf(hash: string): Page {
  return PAGES.find((p) => hash === `#/${p.path}`) ?? PAGES[0];
}
