// Types of idenfy-mock/testcontainers. They do not name testcontainers' own
// types, so they check without it; `container` is its StartedTestContainer.
import type { IdenfyMockClient } from "./index.js";

export declare const PORT: 8080;

export interface IdenfyMockContainerOptions {
  /** Default: $IDENFY_MOCK_IMAGE, else idenfy-mock:latest (build docker/Dockerfile). */
  image?: string;
  apiKey?: string;
  apiSecret?: string;
  signingKey?: string;
  adminToken?: string;
  /** IDENFY_MOCK_WEBHOOK_URL inside the container (the host is host.docker.internal or the like). */
  webhookUrl?: string;
  /** More environment. */
  env?: Record<string, string>;
  /** Default 60000. */
  startupTimeoutMs?: number;
  /** Called with the GenericContainer before it starts (networks, labels, ...); returns it. */
  customize?: (container: any) => any;
}

/** The part of Testcontainers' StartedTestContainer this module uses. */
export interface StartedContainerLike {
  getHost(): string;
  getMappedPort(port: number): number;
  stop(): Promise<unknown>;
}

export interface StartedIdenfyMockContainer {
  /** Testcontainers' StartedTestContainer. */
  container: StartedContainerLike & Record<string, any>;
  /** http://HOST:MAPPED_PORT */
  url: string;
  /** A client of the container's control API. */
  client: IdenfyMockClient;
  apiKey: string;
  apiSecret: string;
  signingKey: string;
  stop(): Promise<unknown>;
}

/** Starts the image, waits for /_mock/health, and answers a client at the mapped port. */
export declare function startIdenfyMockContainer(options?: IdenfyMockContainerOptions): Promise<StartedIdenfyMockContainer>;
