import { Component, type ErrorInfo, type ReactNode } from 'react';
import { ErrorMessage } from './parts';

interface State {
  error: Error | undefined;
}

/**
 * A page that fails while it renders (an answer shaped otherwise than the page expects) shows why in its place;
 * without it React unmounts the whole console, a blank tab with the navigation gone. Keyed by page and tenant, so
 * another page or tenant renders afresh.
 */
export class PageErrorBoundary extends Component<{ children: ReactNode }, State> {
  state: State = { error: undefined };

  static getDerivedStateFromError(error: unknown): State {
    return { error: pageFailure(error) };
  }

  componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error('a console page failed to render', error, info.componentStack);
  }

  render(): ReactNode {
    return this.state.error ? <ErrorMessage error={this.state.error} /> : this.props.children;
  }
}

/** What the page shows in place of itself. */
export function pageFailure(error: unknown): Error {
  const why = error instanceof Error ? error.message : String(error);
  return new Error(`This page failed to show: ${why}. Open another page, or reload to sign in again.`);
}
