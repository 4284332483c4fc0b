/** TypeBox schemas of team sign-in: login, the session, logout and password change. */
import { Type } from 'typebox';

const Role = Type.Union([Type.Literal('owner'), Type.Literal('manager'), Type.Literal('support'), Type.Literal('analyst')]);

export const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

export const Session = Type.Object(
  {
    user: Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() }),
    programs: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), role: Role }), {
      description: 'The programmes the user has a role in; name one in the Trouw-Program header of each request',
    }),
    csrfToken: Type.String({ description: 'Send as X-CSRF-Token with every write made with the session cookie' }),
  },
  { description: 'A signed-in team user' },
);

export const PasswordChangeBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: 1024 }),
    newPassword: Type.String({ minLength: 1, maxLength: 1024, description: 'At least 12 characters, not a common password' }),
  },
  { additionalProperties: false },
);

export { Role };
