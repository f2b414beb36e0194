import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, request } from '../api/client.js';
import { DeleteResult } from '../api/schemas.js';
import { useRouter } from '../router.js';
import { ErrorBox } from './ui.js';

/**
 * Deleting needs the word DELETE typed: the integration's resource and sealed secrets leave the shared
 * configuration repository in one commit, and CI workflows that name it stop working. A native modal
 * dialog: focus stays inside, Escape closes it, focus returns to the button that opened it.
 */
export function DeleteDialog({
  name,
  onClose,
  onDeleted,
}: {
  name: string;
  onClose: () => void;
  onDeleted: (commit: string | null) => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const { navigate } = useRouter();

  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (typed !== 'DELETE' || busy) return;
    setBusy(true);
    setError(null);
    try {
      const r = await request(`/integrations/${encodeURIComponent(name)}`, DeleteResult, {
        method: 'DELETE',
        body: { confirm: 'DELETE' },
      });
      onDeleted(r.commit);
      ref.current?.close();
      navigate('/integrations');
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError('server', String(err), undefined));
      setBusy(false);
    }
  }

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="delete-title"
      aria-describedby="delete-desc"
      onClose={onClose}
    >
      <form onSubmit={(e) => void submit(e)} noValidate>
        <h2 id="delete-title">Delete “{name}”?</h2>
        <p id="delete-desc">
          This removes the integration and its sealed secrets from the shared configuration repository in one
          commit. CI workflows that use it will fail to report images.
        </p>
        <div className="field">
          <label htmlFor="delete-confirm">
            Type <strong>DELETE</strong> to confirm
          </label>
          <input
            id="delete-confirm"
            type="text"
            autoComplete="off"
            spellCheck={false}
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            autoFocus
          />
        </div>
        {error && <ErrorBox error={error} />}
        <div className="actions">
          <button type="submit" className="danger" disabled={typed !== 'DELETE' || busy}>
            {busy ? 'Deleting…' : 'Delete integration'}
          </button>
          <button type="button" onClick={() => ref.current?.close()} disabled={busy}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
