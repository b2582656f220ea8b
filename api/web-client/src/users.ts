import { useEffect, useState } from 'preact/hooks';
import { getUser, type User } from './api.ts';

// Messages carry author ids; names are fetched once per user and shared by every component.
const known = new Map<string, User>();
const loading = new Map<string, Promise<User | null>>();

/** Remembers a user seen elsewhere (READY, a sign-in), so no request is needed for them. */
export function rememberUser(user: User): void {
  known.set(user.id, user);
}

function load(id: string): Promise<User | null> {
  let p = loading.get(id);
  if (!p) {
    p = getUser(id).then(
      (u) => {
        known.set(id, u);
        return u;
      },
      () => null,
    );
    loading.set(id, p);
  }
  return p;
}

/** The user with `id`, or null until it is fetched. */
export function useUser(id: string): User | null {
  const [user, setUser] = useState<User | null>(known.get(id) ?? null);
  useEffect(() => {
    if (known.has(id)) {
      setUser(known.get(id) ?? null);
      return;
    }
    let live = true;
    void load(id).then((u) => {
      if (live) setUser(u);
    });
    return () => {
      live = false;
    };
  }, [id]);
  return user;
}
