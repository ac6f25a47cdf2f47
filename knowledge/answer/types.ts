/**
 * The answerer's contract: what an answer is, where it comes from, the topic that a follow-up
 * question leans on, and the ports the answerer is given (contacts, the living ledger).
 */

import type { LedgerView } from '../ledger.js';
import type { AnswerType } from '../lexicon.js';

/** What a message is, as the answerer sees it. Question kinds are named by the fact they give. */
export type Intent =
  | 'greeting'
  | 'thanks'
  | 'help'
  | 'complaint'
  | 'offtopic'
  | 'contact'
  | 'unit'
  | 'deadline'
  | 'progress'
  | 'indicator'
  | 'measure'
  | 'target'
  | 'document'
  | 'place'
  | 'value'
  | 'general';

/** Intents that are not questions about the records. */
export const CONVERSATIONAL_INTENTS: Intent[] = ['greeting', 'thanks', 'help', 'complaint', 'offtopic'];

/** Where an answer comes from. */
export interface Source {
  document: string;
  locator: string;
  excerpt: string;
}

/**
 * The topic of an answer, kept by the dialog per user so that a follow-up ("那2030年呢？",
 * "这个是哪个单位负责？") is read against it.
 */
export interface Topic {
  /** The content words of the question that set the topic. */
  terms: string[];
  types: AnswerType[];
  years: number[];
  documents: string[];
  docNumbers: string[];
  /** Statements the answer was built from. */
  statements: number[];
  lang: 'zh' | 'en';
}

/** An answer to one question. */
export interface Answer {
  question: string;
  intent: Intent;
  /** False when the records do not contain what was asked. */
  found: boolean;
  answer: string;
  sources: Source[];
  lang: 'zh' | 'en';
  /** What the answer was about, for follow-ups; absent for greetings, complaints and refusals of scope. */
  topic?: Topic;
}

/** A contact entered by an administrator (the records themselves may list none). */
export interface Contact {
  unit: string;
  name: string;
  phone: string;
  hours: string | null;
  note: string | null;
}

/** Looks up administrator-entered contacts; the store provides it. */
export interface ContactDirectory {
  forUnit(unit: string): Contact[];
}

/** Options of one answer. */
export interface AskOptions {
  /** The time of asking: only adds remarks such as "this deadline has passed". */
  now: Date;
  /** The topic of the previous answer in this conversation. */
  context?: Topic | null;
}

/** Answers questions. */
export interface Answerer {
  answer(question: string, options: AskOptions | Date): Answer;
}

export type { LedgerView };
