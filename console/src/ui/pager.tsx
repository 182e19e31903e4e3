import { useState } from 'react';

/** Where a reader is in an archive the API pages by cursor, forwards only. */
export interface CursorPages {
  /** The cursor of the page shown; undefined for the first page. */
  cursor: string | undefined;
  /** 1 for the first page. */
  number: number;
  back: () => void;
  forward: (nextCursor: string) => void;
}

/** The cursors to the page shown, of the walk of one key. */
export interface Walk {
  key: string;
  cursors: (string | undefined)[];
}

/** The walk to keep for {@code key}: this one, or a new one from the first page when the key is another. */
export function walkOf(walk: Walk, key: string): Walk {
  return walk.key === key ? walk : { key, cursors: [undefined] };
}

/**
 * The cursors of the pages before this one; back to the first page whenever {@code key} (the tenant, a filter)
 * changes, and kept so: coming back to an earlier key starts from its first page too.
 */
export function useCursorPages(key: string): CursorPages {
  const [stored, setWalk] = useState<Walk>({ key, cursors: [undefined] });
  const walk = walkOf(stored, key);
  if (walk !== stored) {
    // the walk of an earlier key must not come back with it
    setWalk(walk);
  }
  const { cursors } = walk;
  return {
    cursor: cursors[cursors.length - 1],
    number: cursors.length,
    back: () => setWalk({ key, cursors: cursors.slice(0, -1) }),
    forward: (nextCursor) => setWalk({ key, cursors: [...cursors, nextCursor] }),
  };
}

/** Previous and Next for a page of {@code count} {@code noun}; Next only when the API gave a next cursor. */
export function Pager({ pages, nextCursor, count, noun }: { pages: CursorPages; nextCursor: string | null; count: number; noun: string }) {
  return (
    <nav className="pager" aria-label={`Pages of ${noun}`}>
      <button type="button" disabled={pages.number === 1} onClick={pages.back}>
        Previous
      </button>
      <span>
        Page {pages.number}, {count} {noun}
      </span>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && pages.forward(nextCursor)}>
        Next
      </button>
    </nav>
  );
}
