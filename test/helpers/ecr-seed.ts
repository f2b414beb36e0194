import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import type { MotoPeer } from '../peers/moto.js';
import type { RegistryPeer } from '../peers/registry.js';
import {
  pushArtifact,
  pushCosignTag,
  pushImage,
  pushIndex,
  type PushedImage,
  type PushedIndex,
  type PushedManifest,
  type PushTarget,
} from '../peers/images.js';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const HOST = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;

/**
 * moto + distribution as one ECR registry (test-peers.md): every manifest is pushed to the registry, and
 * the same bytes are PutImage'd into moto with their digest, children before their index. Call while
 * moto's IAM enforcement is off.
 */
export class EcrSeeder {
  readonly target: PushTarget;
  private readonly ecr: ECRClient;
  private readonly repos = new Set<string>();

  constructor(moto: MotoPeer, registry: RegistryPeer) {
    this.target = { url: registry.url, username: registry.username, password: registry.password };
    this.ecr = new ECRClient({
      region: REGION,
      endpoint: moto.endpoint,
      credentials: { accessKeyId: 'AKIASEEDER000000000', secretAccessKey: 'seed' },
    });
  }

  async repository(name: string, registryId?: string): Promise<void> {
    const key = `${registryId ?? ACCOUNT}/${name}`;
    if (this.repos.has(key)) return;
    await this.ecr.send(
      new CreateRepositoryCommand({ repositoryName: name, ...(registryId ? { registryId } : {}) }),
    );
    this.repos.add(key);
  }

  async put(repository: string, m: PushedManifest, tag?: string, registryId?: string): Promise<void> {
    await this.repository(repository, registryId);
    await this.ecr.send(
      new PutImageCommand({
        repositoryName: repository,
        imageManifest: new TextDecoder().decode(m.bytes),
        imageManifestMediaType: m.mediaType,
        imageDigest: m.digest,
        ...(tag ? { imageTag: tag } : {}),
        ...(registryId ? { registryId } : {}),
      }),
    );
  }

  /**
   * Copies a pushed image into another repository of the registry (cross-repository blob mounts, then the
   * same manifest bytes) and of moto, e.g. under another account.
   */
  async mirror(from: string, to: string, m: PushedImage, tag: string, registryId?: string): Promise<void> {
    const auth = 'Basic ' + Buffer.from(`${this.target.username}:${this.target.password}`).toString('base64');
    for (const blob of [m.config, ...m.layers]) {
      const res = await fetch(
        `${this.target.url}/v2/${to}/blobs/uploads/?mount=${blob.digest}&from=${from}`,
        { method: 'POST', headers: { authorization: auth } },
      );
      if (res.status !== 201)
        throw new Error(`mount ${blob.digest} into ${to}: HTTP ${res.status} ${await res.text()}`);
    }
    const put = await fetch(`${this.target.url}/v2/${to}/manifests/${tag}`, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': m.mediaType },
      body: Buffer.from(m.bytes),
    });
    if (put.status !== 201)
      throw new Error(`put manifest into ${to}: HTTP ${put.status} ${await put.text()}`);
    await this.put(to, m, tag, registryId);
  }

  async image(
    repository: string,
    tag: string,
    opts: Parameters<typeof pushImage>[3] = {},
  ): Promise<PushedImage> {
    const pushed = await pushImage(this.target, repository, tag, opts);
    await this.put(repository, pushed, tag);
    return pushed;
  }

  async index(
    repository: string,
    tag: string,
    opts: Parameters<typeof pushIndex>[3] = {},
  ): Promise<PushedIndex> {
    const pushed = await pushIndex(this.target, repository, tag, opts);
    // Children first, untagged, each once; then the index with its tag.
    for (const child of pushed.children) await this.put(repository, child);
    if (pushed.attestation) await this.put(repository, pushed.attestation);
    await this.put(repository, pushed, tag);
    return pushed;
  }

  async signature(repository: string, subject: PushedManifest): Promise<PushedManifest> {
    const sig = await pushCosignTag(this.target, repository, subject.digest, 'sig');
    await this.put(repository, sig, subject.digest.replace(':', '-') + '.sig');
    return sig;
  }

  async sbom(repository: string, subject: PushedManifest): Promise<Awaited<ReturnType<typeof pushArtifact>>> {
    const art = await pushArtifact(this.target, repository, {
      digest: subject.digest,
      size: subject.size,
      mediaType: subject.mediaType,
    });
    await this.put(repository, art);
    if (art.tagSchemaIndex) await this.put(repository, art.tagSchemaIndex, subject.digest.replace(':', '-'));
    return art;
  }
}
