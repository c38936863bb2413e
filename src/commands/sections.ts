import { ALL_SECTIONS, type Section } from '../config.js';

// The configuration sections each command loads: what runCommand parses and checks, and what
// its --help lists (config.ts configVariables). One list, so that the two cannot disagree.

export const COMMAND_SECTIONS = {
  worker: ALL_SECTIONS,
  migrate: ['database'],
  'track add': ['database'],
  'track remove': ['database'],
  'track list': ['database'],
  'track import': ['database'],
  // links: the emails carry each case's link when PUBLIC_URL and LINK_SECRET are set.
  scan: ['database', 'redis', 'cyrexa', 'scan', 'rules', 'mail', 'links'],
  status: ['database', 'scan'],
  history: ['database'],
  'cases list': ['database'],
  'cases show': ['database'],
  'cases ack': ['database'],
  'cases resolve': ['database'],
  'cases note': ['database'],
  'silence add': ['database'],
  'silence list': ['database'],
  'silence remove': ['database'],
  export: ['database'],
  // No Cyrexa settings: emails go out with customer ids alone.
  'alerts flush': ['database', 'mail', 'links'],
  'alerts test': ['mail'],
  'alerts summary': ['database', 'mail', 'rules'],
} as const satisfies Record<string, readonly Section[]>;

export type CommandName = keyof typeof COMMAND_SECTIONS;
