/**
 * The signed-in user and the programme being worked on. The session itself is the HttpOnly cookie; the SPA
 * only keeps the CSRF token (recovered with GET /v1/auth/session after a reload) and the chosen programme,
 * and hands both to the API client through `sessionState`.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, updateSessionHeaders, unwrap, type ApiClient } from '../api/client';
import type { Role, Session } from '../api/types';

const programKey = 'trouw.program';

interface SessionValue {
  status: 'loading' | 'signed-out' | 'signed-in';
  session: Session | null;
  programId: string | null;
  role: Role | null;
  login(email: string, password: string): Promise<void>;
  logout(): Promise<void>;
  selectProgram(programId: string): void;
}

const SessionContext = createContext<SessionValue | null>(null);

function rememberedProgram(session: Session): string | null {
  let stored: string | null = null;
  try {
    stored = window.localStorage.getItem(programKey);
  } catch {
    // Not remembering the programme only costs a click.
  }
  return session.programs.find((program) => program.id === stored)?.id ?? session.programs[0]?.id ?? null;
}

export function SessionProvider({ children, client = api() }: { children: ReactNode; client?: ApiClient }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<SessionValue['status']>('loading');
  const [session, setSession] = useState<Session | null>(null);
  const [programId, setProgramId] = useState<string | null>(null);

  const adopt = useCallback((next: Session | null) => {
    const program = next ? rememberedProgram(next) : null;
    updateSessionHeaders(client, { csrfToken: next?.csrfToken ?? null, programId: program });
    setSession(next);
    setProgramId(program);
    setStatus(next ? 'signed-in' : 'signed-out');
  }, [client]);

  useEffect(() => {
    let cancelled = false;
    client
      .GET('/v1/auth/session')
      .then((result) => !cancelled && adopt(result.response.ok && result.data ? result.data : null))
      .catch(() => !cancelled && adopt(null));
    return () => {
      cancelled = true;
    };
  }, [client, adopt]);

  const login = useCallback(
    async (email: string, password: string) => {
      adopt(unwrap(await client.POST('/v1/auth/login', { body: { email, password } })));
    },
    [client, adopt],
  );

  const logout = useCallback(async () => {
    await client.POST('/v1/auth/logout').catch(() => undefined);
    queryClient.clear();
    adopt(null);
  }, [client, adopt, queryClient]);

  const selectProgram = useCallback(
    (next: string) => {
      try {
        window.localStorage.setItem(programKey, next);
      } catch {
        // See rememberedProgram.
      }
      updateSessionHeaders(client, { programId: next });
      // Everything cached belongs to the previous programme.
      queryClient.clear();
      setProgramId(next);
    },
    [client, queryClient],
  );

  const value = useMemo<SessionValue>(
    () => ({
      status,
      session,
      programId,
      role: session?.programs.find((program) => program.id === programId)?.role ?? null,
      login,
      logout,
      selectProgram,
    }),
    [status, session, programId, login, logout, selectProgram],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** Whether a role may change the programme's configuration (tiers, referral programme); the server checks regardless. */
export function mayConfigure(role: Role | null): boolean {
  return role === 'owner' || role === 'manager';
}

/** Whether a role holds members:write (src/domain/roles.ts: owner, manager, support); the server checks regardless. */
export function mayWriteMembers(role: Role | null): boolean {
  return role === 'owner' || role === 'manager' || role === 'support';
}

/** Whether a role holds referrals:review (src/domain/roles.ts: owner, manager, support); the server checks regardless. */
export function mayReviewReferrals(role: Role | null): boolean {
  return role === 'owner' || role === 'manager' || role === 'support';
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
