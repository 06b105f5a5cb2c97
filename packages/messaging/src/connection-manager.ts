import { EventEmitter } from 'node:events';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import * as amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { BrokerUnavailableError, errorMessage } from './errors';
import { DEFAULT_EXCHANGE, MESSAGING_OPTIONS, MessagingOptions, redactUrl, withHeartbeat } from './options';

/**
 * Runs on every (re)connect, after the exchange is asserted and before the manager reports itself connected.
 * Used to assert topology (idempotently) and to (re)subscribe consumers. A hook that throws fails the connect
 * attempt, which is retried with backoff.
 */
export type SetupHook = (connection: ChannelModel) => Promise<void>;

/** Events emitted by {@link AmqpConnectionManager.on}. */
export type ConnectionEvent = 'connected' | 'disconnected';

/**
 * Owns one AMQP connection (amqplib 0.10) and one confirm channel for publishing (SPEC.md §2 "Bus":
 * persistent messages, publisher confirms). Reconnects after broker loss with exponential backoff
 * (`reconnectMinDelayMs` doubling up to `reconnectMaxDelayMs`, ±20 % jitter) and re-runs every
 * {@link SetupHook} on each reconnect, so topology assertion is idempotent and happens on (re)connect.
 *
 * In Nest it connects in `onModuleInit` (one attempt; boot continues when the broker is down and the readiness
 * check reports it) and closes in `onApplicationShutdown`, i.e. after the microservice transport has drained.
 */
@Injectable()
export class AmqpConnectionManager implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AmqpConnectionManager.name);
  private readonly events = new EventEmitter();
  private readonly hooks: SetupHook[] = [];
  private conn?: ChannelModel;
  private pubChannel?: ConfirmChannel;
  private ready = false;
  private started = false;
  private stopped = false;
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private attempt?: Promise<boolean>;
  private lastError?: string;

  constructor(@Inject(MESSAGING_OPTIONS) readonly options: MessagingOptions) {
    this.events.setMaxListeners(100);
  }

  /** The topic exchange messages are published to (`AMQP_EXCHANGE`, default `vellum`). */
  get exchange(): string {
    return this.options.exchange ?? DEFAULT_EXCHANGE;
  }

  get serviceName(): string {
    return this.options.serviceName;
  }

  /** True once connected, the exchange asserted and every setup hook has run; false during an outage. */
  get isConnected(): boolean {
    return this.ready;
  }

  /** The last connection error, for readiness messages. */
  get lastConnectionError(): string | undefined {
    return this.lastError;
  }

  /** The live amqplib connection (`ChannelModel`). @throws BrokerUnavailableError when not connected. */
  get connection(): ChannelModel {
    if (!this.conn) throw new BrokerUnavailableError(this.describeOutage());
    return this.conn;
  }

  on(event: ConnectionEvent, listener: () => void): this {
    this.events.on(event, listener);
    return this;
  }

  off(event: ConnectionEvent, listener: () => void): this {
    this.events.off(event, listener);
    return this;
  }

  /**
   * Registers a hook run on every (re)connect. When already connected it also runs at once (awaited here);
   * if that run fails, the connection is dropped and re-established (running every hook again).
   */
  async onSetup(hook: SetupHook): Promise<void> {
    this.hooks.push(hook);
    if (this.conn && this.pubChannel) {
      try {
        await hook(this.conn);
      } catch (err) {
        this.logger.error(`AMQP setup failed: ${errorMessage(err)}; reconnecting`);
        await this.conn.close().catch(() => undefined);
        throw err;
      }
    }
  }

  async onModuleInit(): Promise<void> {
    await this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /**
   * Starts connecting (idempotent). Resolves after the first attempt: `true` when connected; `false` when the
   * broker is unreachable, in which case reconnects continue in the background.
   */
  async start(): Promise<boolean> {
    if (this.stopped) return false;
    if (!this.started) {
      this.started = true;
      return this.tryConnect();
    }
    return this.attempt ?? this.ready;
  }

  /**
   * Resolves once connected. @throws BrokerUnavailableError after `timeoutMs` (default 10000) without a connection.
   */
  async waitForConnection(timeoutMs = 10_000): Promise<void> {
    if (this.ready) return;
    if (!this.started) void this.start();
    await new Promise<void>((resolve, reject) => {
      const onUp = (): void => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        this.off('connected', onUp);
        reject(new BrokerUnavailableError(`no connection within ${timeoutMs} ms (${this.describeOutage()})`));
      }, timeoutMs);
      this.events.once('connected', onUp);
    });
  }

  /** Opens a new (non-confirm) channel on the live connection, e.g. for a consumer. @throws BrokerUnavailableError */
  async createChannel(): Promise<Channel> {
    return this.connection.createChannel();
  }

  /**
   * Publishes one message on the shared confirm channel and resolves when the broker confirms it.
   * @throws BrokerUnavailableError at once when not connected, or when the channel/connection closes before the
   *   confirm; `Error('... not confirmed within N ms')` after `publishTimeoutMs` (default 10000); `Error('message
   *   nacked')` when the broker refuses it.
   */
  async publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
  ): Promise<void> {
    const ch = this.pubChannel;
    if (!ch) throw new BrokerUnavailableError(`cannot publish ${routingKey}: ${this.describeOutage()}`);
    const timeoutMs = this.options.publishTimeoutMs ?? 10_000;
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new Error(`publish of ${routingKey} not confirmed within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          const msg = errorMessage(err);
          reject(
            msg === 'message nacked'
              ? new Error(`broker nacked ${routingKey}`)
              : new BrokerUnavailableError(`publish of ${routingKey} failed: ${msg}`),
          );
        } else resolve();
      };
      try {
        ch.publish(exchange, routingKey, content, options, (err) => done(err));
      } catch (err) {
        done(err ?? new Error('channel closed'));
      }
    });
  }

  /** Stops reconnecting and closes the publish channel and the connection. Idempotent. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.attempt?.catch(() => undefined);
    const conn = this.conn;
    this.conn = undefined;
    this.ready = false;
    const ch = this.pubChannel;
    this.pubChannel = undefined;
    if (ch) await ch.close().catch(() => undefined);
    if (conn) await conn.close().catch(() => undefined);
  }

  private describeOutage(): string {
    const where = redactUrl(this.options.amqpUrl);
    if (this.stopped) return `connection to ${where} closed`;
    return `not connected to ${where}${this.lastError ? ` (${this.lastError})` : ''}`;
  }

  private tryConnect(): Promise<boolean> {
    const p = this.connectOnce().then(
      () => true,
      (err: unknown) => {
        this.lastError = errorMessage(err);
        this.failures += 1;
        if (this.failures === 1 || this.failures % 10 === 0) {
          this.logger.warn(
            `AMQP connect to ${redactUrl(this.options.amqpUrl)} failed (attempt ${this.failures}): ${this.lastError}`,
          );
        }
        this.scheduleReconnect();
        return false;
      },
    );
    this.attempt = p;
    void p.finally(() => {
      if (this.attempt === p) this.attempt = undefined;
    });
    return p;
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.timer) return;
    const min = this.options.reconnectMinDelayMs ?? 250;
    const max = this.options.reconnectMaxDelayMs ?? 10_000;
    const base = Math.min(max, min * 2 ** Math.min(this.failures, 16));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped) void this.tryConnect();
    }, delay);
    this.timer.unref();
  }

  private async connectOnce(): Promise<void> {
    if (this.stopped) throw new Error('connection manager closed');
    const conn = await amqp.connect(withHeartbeat(this.options.amqpUrl), {
      clientProperties: { connection_name: this.options.serviceName },
      timeout: this.options.connectTimeoutMs ?? 10_000,
    });
    try {
      conn.on('error', (err: unknown) => {
        this.lastError = errorMessage(err);
        this.logger.warn(`AMQP connection error: ${this.lastError}`);
      });
      conn.on('close', () => this.onConnectionLost(conn));
      conn.on('blocked', (reason: unknown) =>
        this.logger.warn(`AMQP connection blocked by the broker: ${String(reason)}`),
      );
      conn.on('unblocked', () => this.logger.log('AMQP connection unblocked'));
      this.conn = conn;
      await this.openPublishChannel(conn);
      for (const hook of [...this.hooks]) {
        if (this.conn !== conn) throw new Error('connection lost during setup');
        await hook(conn);
      }
      if (this.stopped || this.conn !== conn) throw new Error('connection lost during setup');
    } catch (err) {
      if (this.conn === conn) this.conn = undefined;
      this.pubChannel = undefined;
      await conn.close().catch(() => undefined);
      throw err;
    }
    const wasDown = this.failures > 0;
    this.failures = 0;
    this.lastError = undefined;
    this.ready = true;
    if (wasDown) this.logger.log(`AMQP reconnected to ${redactUrl(this.options.amqpUrl)}`);
    this.events.emit('connected');
  }

  private async openPublishChannel(conn: ChannelModel): Promise<void> {
    const ch = await conn.createConfirmChannel();
    ch.on('error', (err: unknown) => this.logger.warn(`AMQP publish channel error: ${errorMessage(err)}`));
    ch.on('close', () => {
      if (this.pubChannel !== ch) return;
      this.pubChannel = undefined;
      // A channel-level error (e.g. 404 on an exchange) closes only the channel: open a fresh one.
      if (!this.stopped && this.conn === conn) {
        this.openPublishChannel(conn).catch((err: unknown) => {
          this.logger.warn(`AMQP publish channel reopen failed: ${errorMessage(err)}`);
        });
      }
    });
    await ch.assertExchange(this.exchange, 'topic', { durable: true });
    this.pubChannel = ch;
  }

  private onConnectionLost(conn: ChannelModel): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    this.pubChannel = undefined;
    const wasReady = this.ready;
    this.ready = false;
    if (this.stopped) return;
    if (wasReady) {
      this.logger.warn(`AMQP connection to ${redactUrl(this.options.amqpUrl)} lost; reconnecting`);
      this.events.emit('disconnected');
    }
    this.scheduleReconnect();
  }
}
