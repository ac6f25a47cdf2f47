/**
 * The channel-neutral messages of the dialog core: what comes in from any channel and what goes
 * back. Channels translate their own updates to `Inbound` and render `Reply`.
 */
import { z } from 'zod';

/** A button: what it shows and the value sent back when it is chosen. */
export interface Choice {
  label: string;
  value: string;
}

/** One message to send back. */
export interface Reply {
  text: string;
  /** Buttons in rows. */
  choices?: Choice[][];
  /** Ask the user's client for a location button (Telegram private chats). */
  requestLocation?: boolean;
  /** Photos to show (officials viewing a case): "TICKET#ref", the ref as stored with the case. */
  photos?: string[];
}

/** An inbound message, validated. */
export const inboundSchema = z.object({
  channel: z.string().min(1).max(32),
  userId: z.string().min(1).max(128),
  chatId: z.string().min(1).max(128),
  chatType: z.enum(['private', 'group']).default('private'),
  messageId: z.string().max(256).nullish(),
  name: z.string().max(256).nullish(),
  text: z.string().nullish(),
  choice: z.string().max(512).nullish(),
  location: z.object({ lat: z.number(), lon: z.number(), label: z.string().max(500).nullish() }).nullish(),
  photos: z.array(z.string().min(1).max(512)).max(50).nullish(),
  /** The message this one replies to, when the channel says (officials answer a reminder by replying). */
  replyTo: z.object({ text: z.string().max(8000).nullish() }).nullish(),
  /** Where the message came from when the channel knows (the web: the client's address), for per-address limits. */
  origin: z.string().max(128).nullish(),
});

/** An inbound message from any channel. */
export type Inbound = z.input<typeof inboundSchema>;
/** An inbound message after validation. */
export type ValidInbound = z.output<typeof inboundSchema>;

/** What the dialog returns for one inbound message. */
export interface DialogResult {
  replies: Reply[];
  /** True when the message was delivered before and was not handled again. */
  duplicate?: boolean;
  /** True when the message could not be handled (nothing was recorded; a redelivery is handled anew). */
  failed?: boolean;
}

/** Lays buttons out in rows of `perRow`. */
export function rows(choices: Choice[], perRow: number): Choice[][] {
  const out: Choice[][] = [];
  for (let i = 0; i < choices.length; i += perRow) out.push(choices.slice(i, i + perRow));
  return out;
}
