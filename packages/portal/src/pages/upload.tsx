import { useEffect, useRef, useState } from 'preact/hooks';
import {
  api,
  assetIdOf,
  customerPath,
  fileFractions,
  MAX_BATCH_FILES,
  mediaTypeOf,
  queueFiles,
  type Session,
  type Json,
} from '../api';
import { linkProps } from '../router';
import { ErrorBox, Progress } from '../ui';

interface Item {
  file: File;
  id: string;
  fraction: number;
  state: 'waiting' | 'uploading' | 'queued' | 'failed';
  error?: unknown;
}

/** Files dropped or picked from a folder tree: every File of a drop's entries (directories walked). */
async function filesOf(dt: DataTransfer): Promise<File[]> {
  const entries = [...dt.items]
    .map((i) => (typeof i.webkitGetAsEntry === 'function' ? i.webkitGetAsEntry() : null))
    .filter((e): e is FileSystemEntry => !!e);
  if (!entries.length || !entries.some((e) => e.isDirectory)) return [...dt.files];
  const out: File[] = [];
  const walk = async (e: FileSystemEntry): Promise<void> => {
    if (e.isFile) out.push(await new Promise<File>((res, rej) => (e as FileSystemFileEntry).file(res, rej)));
    else if (e.isDirectory) {
      const reader = (e as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (!batch.length) break;
        for (const c of batch) await walk(c);
      }
    }
  };
  for (const e of entries) await walk(e);
  return out;
}

/** How often the created batch is re-read while it runs, ms. */
const BATCH_POLL_MS = 2000;

/**
 * Upload into a space: drag and drop many files (or pick files or a folder). Each group of ≤ 500 files goes in ONE
 * request, a multipart `POST C/queue` carrying the batch and its files (docs/api/queue.md "Uploading the files
 * with the batch"): each file becomes an asset registered through the queue and is ingested once, by the
 * orchestrator. Overall and per-file byte progress come from the request's upload progress (per file from the
 * cumulative byte offsets of its part); the created batch is then watched (re-read until finished) and linked.
 */
export function Upload({ session, space, onDone }: { session: Session; space: number; onDone: () => void }) {
  const [items, setItems] = useState<Item[]>([]);
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);
  const [batches, setBatches] = useState<Json[]>([]);
  const [error, setError] = useState<unknown>(null);
  const itemsRef = useRef<Item[]>([]);
  const base = customerPath(session);
  const setFrom = (from: number, patches: Array<Partial<Item>>) => {
    itemsRef.current = itemsRef.current.map((it, j) =>
      j >= from && j < from + patches.length ? { ...it, ...patches[j - from] } : it,
    );
    setItems(itemsRef.current);
  };
  // Watch the created batches until each is finished.
  const running = batches.some((b) => b && !b.finished && !b.superseded);
  useEffect(() => {
    if (!running) return;
    const t = setTimeout(() => {
      void Promise.all(
        batches.map((b) =>
          b.finished || b.superseded
            ? b
            : api(session, 'GET', `${base}/queue/batches/${b.id}`).catch(() => b),
        ),
      ).then(setBatches);
    }, BATCH_POLL_MS);
    return () => clearTimeout(t);
  }, [batches, running]);
  const start = async (files: File[]) => {
    if (!files.length || busy) return;
    setBusy(true);
    setBatches([]);
    setError(null);
    itemsRef.current = files.map((file) => ({
      file,
      id: assetIdOf(file.name),
      fraction: 0,
      state: 'waiting',
    }));
    setItems(itemsRef.current);
    const created: Json[] = [];
    for (let from = 0; from < files.length; from += MAX_BATCH_FILES) {
      const group = itemsRef.current.slice(from, from + MAX_BATCH_FILES);
      const sizes = group.map((it) => it.file.size);
      setFrom(
        from,
        group.map(() => ({ state: 'uploading' })),
      );
      try {
        const b = await queueFiles(
          session,
          group.map((it) => ({
            file: it.file,
            fields: { space, id: it.id, mediaType: mediaTypeOf(it.file) },
          })),
          (loaded, total) =>
            setFrom(
              from,
              fileFractions(sizes, loaded, total).map((fraction) => ({ fraction })),
            ),
        );
        setFrom(
          from,
          group.map(() => ({ state: 'queued', fraction: 1 })),
        );
        created.push(b);
        setBatches([...created]);
      } catch (err) {
        // The batch is refused whole (nothing stored): every file of the group failed with its problem.
        setFrom(
          from,
          group.map(() => ({ state: 'failed', error: err })),
        );
        setError(err);
      }
    }
    setBusy(false);
    onDone();
  };
  const done = items.filter((i) => i.state === 'queued' || i.state === 'failed').length;
  const totalBytes = items.reduce((s, i) => s + i.file.size, 0) || 1;
  const sentBytes = items.reduce((s, i) => s + i.file.size * i.fraction, 0);
  return (
    <section class="panel" aria-labelledby="upload-heading">
      <h2 id="upload-heading">Upload</h2>
      <div
        class={`dropzone${over ? ' over' : ''}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          if (e.dataTransfer) void filesOf(e.dataTransfer).then(start);
        }}
      >
        <p>Drop image files or a folder here, or</p>
        <label class="button">
          Choose files
          <input
            type="file"
            multiple
            class="sr-only"
            onChange={(e) => void start([...(e.currentTarget.files ?? [])])}
          />
        </label>{' '}
        <label class="button">
          Choose a folder
          <input
            type="file"
            multiple
            class="sr-only"
            {...({ webkitdirectory: '' } as Json)}
            onChange={(e) => void start([...(e.currentTarget.files ?? [])])}
          />
        </label>
      </div>
      {items.length ? (
        <>
          <p>
            Uploaded {done} of {items.length} files
          </p>
          <Progress value={Math.round(sentBytes)} max={totalBytes} label="Overall upload progress" />
          <ul class="uploads">
            {items.map((it) => (
              <li key={it.id}>
                <span class="name">{it.file.name}</span> <span class={`state ${it.state}`}>{it.state}</span>
                <Progress
                  value={Math.round(it.fraction * 100)}
                  max={100}
                  label={`Upload of ${it.file.name}`}
                />
                {it.state === 'failed' && it.error !== error ? <ErrorBox error={it.error} /> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {batches.map((b) => (
        <p role="status" key={b.id}>
          Batch created: <a {...linkProps(`/batches/${b.id}`)}>batch {b.id}</a> ({b.count} assets
          {b.finished
            ? `, ${b.completed} completed, ${b.errors} errors`
            : `, ${b.completed} of ${b.count} done`}
          )
        </p>
      ))}
      <ErrorBox error={error} />
    </section>
  );
}
