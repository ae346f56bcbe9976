/**
 * select-node: which of the two nodes this director is. One file serves both directors; `--node`
 * names the node, or else the host name picks it.
 */
import { didYouMean } from './did-you-mean.js';
import type { Config, NodeConfig } from './types.js';

/** NodeSelection is this director and its peer, whose addresses are where adverts go. */
export interface NodeSelection {
  readonly self: NodeConfig;
  readonly peer: NodeConfig;
}

/** UnknownNode says that a node name is not in the file, and which names are. */
export interface UnknownNode {
  readonly code: 'unknown-node';
  readonly message: string;
  readonly hint: string;
}

/** pair returns the selection for nodes[index], with the other node as peer. */
function pair(config: Config, index: number): NodeSelection | undefined {
  const self = config.nodes[index];
  const peer = config.nodes[1 - index];
  return self === undefined || peer === undefined ? undefined : { self, peer };
}

/** selectNode picks the node called `name`, or explains which names exist. */
export function selectNode(config: Config, name: string): NodeSelection | UnknownNode {
  const selection = pair(config, config.nodes.findIndex((node) => node.name === name));
  if (selection !== undefined) return selection;
  const names = config.nodes.map((node) => node.name);
  return {
    code: 'unknown-node',
    message: `there is no node named '${name}'`,
    hint: `${didYouMean(name, names)} The nodes in this file are: ${names.join(', ')}.`.trim(),
  };
}

/**
 * nodeForHost picks the node whose `hostname` (or, without one, whose `name`) equals the host
 * name, or is its short form (up to the first dot), or has it as short form; undefined when none.
 */
export function nodeForHost(config: Config, hostname: string): NodeSelection | undefined {
  const shortOf = (name: string): string => name.split('.')[0] ?? name;
  const index = config.nodes.findIndex((node) => {
    const wanted = node.hostname ?? node.name;
    return wanted === hostname || wanted === shortOf(hostname) || shortOf(wanted) === hostname;
  });
  return index === -1 ? undefined : pair(config, index);
}
