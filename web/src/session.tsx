// Who is using the page: the signed-in user, or (a server without accounts) the one local user.
import { createContext, useContext } from 'react';
import type { AppConfig, User } from './api/types.ts';

export interface Session {
  /** null: signed out; `local`: the server has no accounts, everyone acts as its one local user. */
  user: User | null;
  local: boolean;
  config: AppConfig;
  signedIn(user: User): void;
  signOut(): Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside <App>');
  return session;
}
