import { ANON, AUTH_FIELDS, DAY, MINUTE, ok, PASSWORD, register, startIdentity, TestClock, type Harness } from './harness';
import { FlowLimiter, flowLimitsSpec } from '../src/flowLimits';
import { collectionSpecs } from '../src/store';

/**
 * Account mails go to addresses nobody has proven: without limits, anyone can make identity
 * mail one inbox a hundred times a second, or sign up accounts that each mail a stranger.
 * Limits are stored, so they hold across a restart (and across replicas sharing the store).
 */
const REQUEST = 'mutation($e: String!) { requestPasswordReset(email: $e) }';
const REGISTER = `mutation($i: RegisterInput!) { register(input: $i) { ${AUTH_FIELDS} } }`;

async function resetMails(h: Harness, to: string): Promise<number> {
  await h.identity.service.mailSettled();
  return h.mailer.to(to).filter((m) => m.text.includes('/reset-password?token=')).length;
}

describe('password-reset mails to one address', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startIdentity({ env: { MAIL_COOLDOWN_SECONDS: '60', MAIL_DAILY_LIMIT: '3' } });
    await register(h, 'target@example.com');
  });
  afterAll(() => h.dispose());

  it('sends one mail for 100 simultaneous requests, and answers every request true', async () => {
    const answers = await Promise.all(Array.from({ length: 100 }, () => h.gql(ANON, REQUEST, { e: 'target@example.com' })));
    expect(answers.map((res) => ok(res, 'requestPasswordReset'))).toEqual(Array.from({ length: 100 }, () => true));
    expect(await resetMails(h, 'target@example.com')).toBe(1);
  });

  it('answers an unknown address exactly as a limited known one', async () => {
    const known = await h.gql(ANON, REQUEST, { e: 'target@example.com' });
    const unknown = await h.gql(ANON, REQUEST, { e: 'nobody-here@example.com' });
    expect(known).toEqual(unknown);
  });

  it('sends again after the cool-down, up to the daily limit, then again the next day', async () => {
    h.clock.advance(MINUTE + 1);
    await h.gql(ANON, REQUEST, { e: 'target@example.com' });
    expect(await resetMails(h, 'target@example.com')).toBe(2);
    h.clock.advance(MINUTE + 1);
    await h.gql(ANON, REQUEST, { e: 'TARGET@example.com ' });
    expect(await resetMails(h, 'target@example.com')).toBe(3);
    // Three in this day: the fourth waits for the day to end, cool-down or not.
    h.clock.advance(MINUTE + 1);
    await h.gql(ANON, REQUEST, { e: 'target@example.com' });
    expect(await resetMails(h, 'target@example.com')).toBe(3);
    h.clock.advance(DAY);
    await h.gql(ANON, REQUEST, { e: 'target@example.com' });
    expect(await resetMails(h, 'target@example.com')).toBe(4);
  });

  it('keeps the limit records out of reach of the address (hashed ids) and prunes them once expired', async () => {
    const limits = h.store.collection(flowLimitsSpec);
    const records = await limits.find({});
    expect(records.length).toBeGreaterThan(0);
    expect(JSON.stringify(records)).not.toContain('target@example.com');
    h.clock.advance(DAY + MINUTE);
    await h.identity.service.pruneExpired();
    expect(await limits.count({})).toBe(0);
  });
});

describe('the mail limit is stored', () => {
  it('holds across a restart of the service', async () => {
    const clock = new TestClock();
    const first = await startIdentity({ clock });
    await register(first, 'restart@example.com');
    await first.gql(ANON, REQUEST, { e: 'restart@example.com' });
    expect(await resetMails(first, 'restart@example.com')).toBe(1);
    await first.stop();

    const second = await startIdentity({ clock, dataDir: first.dataDir });
    try {
      await second.gql(ANON, REQUEST, { e: 'restart@example.com' });
      expect(await resetMails(second, 'restart@example.com')).toBe(0);
    } finally {
      await second.dispose();
    }
  });
});

describe('sign-ups', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startIdentity({ env: { REGISTRATION_WINDOW_MINUTES: '10', REGISTRATION_DOMAIN_LIMIT: '3', REGISTRATION_LIMIT: '5' } });
  });
  afterAll(() => h.dispose());

  const signUp = (email: string, password = PASSWORD) => h.gql(ANON, REGISTER, { i: { email, password, name: 'Signup' } });
  const users = () => h.store.collection(collectionSpecs.users).count({});

  it('refuses a fourth sign-up at one mail domain within the window with RATE_LIMITED, creating nothing and mailing nobody', async () => {
    for (const n of [1, 2, 3]) ok(await signUp(`user${n}@victim.example`), 'register');
    const before = await users();
    await h.identity.service.mailSettled();
    h.mailer.clear();
    const refused = await signUp('user4@victim.example');
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 600 });
    expect(refused.data).toBeNull();
    expect(await users()).toBe(before);
    await h.identity.service.mailSettled();
    expect(h.mailer.sent).toEqual([]);
  });

  it('still accepts other domains, up to the overall limit', async () => {
    ok(await signUp('one@other.example'), 'register');
    ok(await signUp('two@third.example'), 'register');
    expect((await signUp('three@fourth.example')).errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('accepts sign-ups again once the window has passed', async () => {
    h.clock.advance(10 * MINUTE + 1);
    ok(await signUp('user4@victim.example'), 'register');
  });

  it('counts simultaneous first events against one record instead of refusing the ones that lost the race to create it', async () => {
    // Store round trips that take a while, as over a network: all three pass the update steps
    // before any of them inserts the record.
    const limits = h.store.collection(flowLimitsSpec);
    const slow = new Proxy(limits, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (prop !== 'findOneAndUpdate' || typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const limiter = new FlowLimiter(slow, () => h.clock.now());
    const policy = { limit: 3, windowMs: 10 * MINUTE, cooldownMs: 0 };
    const decisions = await Promise.all([1, 2, 3].map(() => limiter.acquire('register:domain', 'race.example', policy)));
    expect(decisions).toEqual([{ allowed: true }, { allowed: true }, { allowed: true }]);
    expect(await limiter.acquire('register:domain', 'race.example', policy)).toMatchObject({ allowed: false });
  });

  it('does not spend a slot on input that is refused anyway', async () => {
    h.clock.advance(10 * MINUTE + 1);
    for (const n of [1, 2, 3]) {
      const weak = await signUp(`weak${n}@victim.example`, 'password');
      expect(weak.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'password' });
    }
    // A new window: the refused ones took none of its three slots at victim.example.
    for (const n of [5, 6, 7]) ok(await signUp(`user${n}@victim.example`), 'register');
  });
});

describe('simultaneous first events of one subject', () => {
  it('counts the one whose insert lost the race against the limit instead of refusing it', async () => {
    const h = await startIdentity();
    try {
      const stored = h.store.collection(flowLimitsSpec);
      // The other request inserts the first record between this one's updates and its insert
      // (seen on MongoDB: three simultaneous first sign-ups at a domain, two refused, no limit set).
      const raced = Object.create(stored) as typeof stored;
      // It read the clock a moment after this one did.
      raced.insertOne = async (doc) => {
        await stored.insertOne({ ...doc, lastAt: new Date(doc.lastAt.getTime() + 5) });
        return stored.insertOne(doc);
      };
      const limiter = new FlowLimiter(raced, () => new Date());
      expect(await limiter.acquire('register:domain', 'simultaneous.example', { limit: 3, windowMs: 10 * MINUTE, cooldownMs: 0 })).toEqual({
        allowed: true,
      });
      expect((await stored.find({}))[0]?.count).toBe(2);
      // A cool-down still refuses the loser: the winner's event was the one allowed.
      const cooled = new FlowLimiter(raced, () => new Date());
      expect(await cooled.acquire('mail:reset', 'someone@example.com', { limit: 5, windowMs: DAY, cooldownMs: MINUTE })).toMatchObject({
        allowed: false,
      });
    } finally {
      await h.dispose();
    }
  });
});
