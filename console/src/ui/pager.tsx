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

/** The cursors of the pages before this one; back to the first page whenever {@code key} (the tenant) changes. */
export function useCursorPages(key: string): CursorPages {
  const [walk, setWalk] = useState<{ key: string; cursors: (string | undefined)[] }>({ key, cursors: [undefined] });
  const cursors = walk.key === key ? walk.cursors : [undefined];
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
