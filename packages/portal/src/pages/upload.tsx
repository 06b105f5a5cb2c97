import { useRef, useState } from 'preact/hooks';
import { api, assetIdOf, customerPath, mediaTypeOf, uploadFile, type Session, type Json } from '../api';
import { linkProps } from '../router';
import { ErrorBox, Progress } from '../ui';

interface Item {
  file: File;
  id: string;
  fraction: number;
  state: 'waiting' | 'uploading' | 'stored' | 'failed';
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

/**
 * Upload into a space: drag and drop many files (or pick files or a folder). The management API takes files only
 * on asset writes (multipart `PUT C/spaces/{s}/images/{id}`, docs/api/storage.md) and a queue batch only with
 * origins, so each file is first stored as its asset by a multipart PUT (per-file byte progress), then every
 * stored asset is registered in one batch through the queue (`POST C/queue`, members `{space, id}`: the asset keeps
 * its uploaded `vellum-store://` origin), whose progress the batch page shows.
 */
export function Upload({ session, space, onDone }: { session: Session; space: number; onDone: () => void }) {
  const [items, setItems] = useState<Item[]>([]);
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);
  const [batch, setBatch] = useState<Json>(null);
  const [error, setError] = useState<unknown>(null);
  const itemsRef = useRef<Item[]>([]);
  const update = (i: number, patch: Partial<Item>) => {
    itemsRef.current = itemsRef.current.map((it, j) => (j === i ? { ...it, ...patch } : it));
    setItems(itemsRef.current);
  };
  const start = async (files: File[]) => {
    if (!files.length || busy) return;
    setBusy(true);
    setBatch(null);
    setError(null);
    itemsRef.current = files.map((file) => ({
      file,
      id: assetIdOf(file.name),
      fraction: 0,
      state: 'waiting',
    }));
    setItems(itemsRef.current);
    const base = customerPath(session);
    // Two uploads at a time.
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const i = next++;
        const it = itemsRef.current[i];
        update(i, { state: 'uploading' });
        try {
          await uploadFile(session, space, it.id, it.file, { mediaType: mediaTypeOf(it.file) }, (f) =>
            update(i, { fraction: f }),
          );
          update(i, { state: 'stored', fraction: 1 });
        } catch (err) {
          // A file whose ingest failed is still stored: its asset exists and goes in the batch (to retry later).
          const stored = await api(
            session,
            'GET',
            `${base}/spaces/${space}/images/${encodeURIComponent(it.id)}`,
          ).then(
            () => true,
            () => false,
          );
          update(i, { state: stored ? 'stored' : 'failed', fraction: stored ? 1 : it.fraction, error: err });
        }
      }
    };
    await Promise.all([worker(), worker()]);
    const stored = itemsRef.current.filter((it) => it.state === 'stored');
    if (stored.length) {
      try {
        const b = await api(session, 'POST', `${base}/queue`, {
          '@type': 'Collection',
          member: stored.map((it) => ({ space, id: it.id, mediaType: mediaTypeOf(it.file) })),
        });
        setBatch(b);
      } catch (err) {
        setError(err);
      }
    }
    setBusy(false);
    onDone();
  };
  const done = items.filter((i) => i.state === 'stored' || i.state === 'failed').length;
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
                {it.state === 'failed' ? <ErrorBox error={it.error} /> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {batch ? (
        <p role="status">
          Batch created: <a {...linkProps(`/batches/${batch.id}`)}>batch {batch.id}</a> ({batch.count} assets)
        </p>
      ) : null}
      <ErrorBox error={error} />
    </section>
  );
}
