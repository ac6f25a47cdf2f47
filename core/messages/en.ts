/**
 * The message catalog, English: the same keys as `zh.ts`, complete. Place and unit names stay
 * Chinese (they are what officials and signs use).
 */
import type { Messages } from './zh.js';

const status: Record<string, string> = {
  待受理: 'awaiting acceptance',
  已受理: 'accepted',
  已派单: 'dispatched',
  办理中: 'in progress',
  已办结: 'handled',
  已评价: 'rated',
  已关闭: 'closed',
  不予受理: 'not accepted',
  重复: 'duplicate',
  重新办理: 'reopened',
};

export const en: Messages = {
  lang: 'en',
  status,
  yesNo: (b) => (b ? 'yes' : 'no'),
  roles: { citizen: 'you', official: 'handling unit', admin: 'administrator', system: 'system' },
  staffRoles: { citizen: 'reporter', official: 'official', admin: 'administrator', system: 'system' },

  help: {
    citizen:
      'I am Jiangjin District\'s "Rectify Assistant". I can:\n• answer questions about the rectification records and the 14th Five-Year soil plan — just ask, e.g. "How much tail water rectification is done?"\n• take a pollution report: send "report" or /report\n• show a report\'s progress: send "status JJ-…" or /status\n• send "cancel" at any time to drop a report you are filling in',
    official:
      'Commands for handling units:\n/cases your open cases (overdue first)\n/case TICKET details (with photos)\n/accept TICKET accept\n/refuse TICKET reason | where to turn\n/dup TICKET ORIGINAL mark as duplicate\n/dispatch TICKET to whom\n/progress TICKET progress\n/close TICKET result\n/recat TICKET new category\n/history TICKET history\n/photos TICKET the photos\n/bind make this group your unit\'s reminder chat\n/milestones your milestones; /milestone N details and record\n/update N text report progress (or reply to a reminder "#N text")\n/done N note; /reopen N note; /drop N note; /snooze N days [note]; /addmilestone date title\n/link TICKET N link a case to milestone N (0 for none)',
    admin:
      "Administrator commands:\n/cases, /case TICKET, /history TICKET, /photos TICKET show every unit's cases; the other commands are those of the handling units.\nCommand line: npm run admin -- --help",
    draftPending: '(You have a report in progress: answer the last question to go on, or send "cancel" to drop it.)',
    buttons: { report: 'Report pollution', status: 'My reports' },
  },
  joined: (unit, role) => `Bound as ${role === 'admin' ? 'administrator' : 'official'} of ${unit}.`,
  badInvite: 'This invite code is invalid, used or expired. Please ask an administrator for a new one.',
  nothingToCancel: 'There is nothing in progress to cancel.',
  reportCancelled: 'Report cancelled; what you entered has been deleted.',
  reportCancelledLong: 'Report cancelled; what you entered has been deleted. Send "report" whenever you want to start again.',
  cancelled: 'Cancelled.',
  staffOnly:
    'This command is for officials of the handling units. If you are one, ask an administrator for an invite code and send "/join CODE".',
  noSuchCommand: (name) => `There is no /${name} command. Send "help" to see what I can do.`,
  sendSomething: 'Please send text, a location or a photo. Send "help" to see what I can do.',
  notUnderstood: 'Sorry, I could not read that message. Please send text, a location or a photo.',
  internalError: 'Sorry, something went wrong handling your message. Please try again later; nothing you submitted is lost.',
  startReport: 'OK, I will help you file a report. It takes a few steps; send "cancel" at any time.',
  startReportFromText: 'Got it, I will help you file a report. It takes a few steps; send "cancel" at any time.',
  startReportFromMedia: 'Got it — it looks like you want to report pollution. I will help you file it (send "cancel" to drop it).',
  resumeReport: 'You have a report in progress; let us go on:',
  stillFilling: '(Your report is still in progress; let us go on.)',
  photoAttached: (n) => `Photo received (${n} in all); it will be attached to the report.`,
  filed: (ticket, unit, days) =>
    `✅ Report submitted. Ticket number: ${ticket}\nIt has gone to ${unit}, which will decide within ${days} days whether to accept it; you will be told of every change.\nSend "status ${ticket}" at any time to see its progress.`,
  source: 'Source',
  noReports: 'You have not filed any report yet. Send "report" to start.',
  myReports: (lines) => `Your latest reports:\n${lines}\nSend "status TICKET" for details.`,
  lookupButton: (ticket) => `Status ${ticket}`,
  caseStatus: (ticket, st, category, unit, due, history) =>
    `${ticket} status: ${st}\nCategory: ${category}; handling unit: ${unit}\n${due}\n${history}`,
  acceptDue: (d) => `To be accepted by: ${d}`,
  completeDue: (d) => `To be handled by: ${d}`,
  historyTitle: (ticket) => `${ticket} history:`,
  noneToRate: 'You have no handled report to rate.',
  thanksRated: (ticket) => `Thank you for your rating! Report ${ticket} is now complete.`,
  whyUnsatisfied: (ticket) =>
    `Please tell us what is still wrong with report ${ticket} (e.g. "the manure is still running into the river"); we will pass it to the handling unit. Send "skip" if you would rather not say.`,
  reopened: (ticket, unit, due) =>
    `Thank you. Report ${ticket} has gone back to ${unit} to be handled again, by ${due}; you will be told of the new result.`,
  notFoundForYou: (ticket) => `No report of yours has the number ${ticket}. Please check the number (like JJ-20261122-7KQ4M).`,
  lookupsTooMany: 'Too many lookups; please try again in an hour. For help call the 12369 environment hotline.',
  restartedReport:
    'Sorry: after an update your unfinished report could not be continued and was cleared. Send "report" to start again; reports already submitted are not affected.',
  restartedOther: 'Sorry: after an update your unfinished conversation could not be continued and was cleared. Please start again.',

  intake: {
    categoryGuess: (name) => `This looks like "${name}". Is that right? If not, pick the right category:`,
    categoryYes: (name) => `✅ Yes, ${name}`,
    categoryPick: 'Please pick the kind of problem:',
    categoryAgain: 'Please pick one of the categories below (tap a button or type its name, e.g. "livestock").',
    categoryRequired: 'A category is needed to send the report to the right unit. If unsure, pick "other" — e.g. type "other".',
    cancel: 'Cancel',
    noCategory: 'not chosen',
    location: 'Where is it? Send a location 📍, pick the town, or type the address (e.g. "石蟆镇 ×× village, group ×").',
    locationRequired:
      'We need to know roughly where it is to send someone. A town or village name is enough, e.g. "先锋镇 杨家店村"; or send a location 📍.',
    locationFar: (km) => `The location you sent is about ${km} km outside Jiangjin District. Is it really there?`,
    locationOk: 'Yes, it is there',
    locationRetry: 'Send again',
    locationInvalid: 'These coordinates are not valid. Please send the location again, or type the town and address.',
    locationTooLong: (n) => `The address is too long; please keep it under ${n} characters.`,
    locationUnclear: 'I could not read that place. Please send a location, pick a town, or type the address.',
    locationNear: (town) => `Location: near ${town}`,
    locationPoint: 'Location',
    description: 'Please describe what is happening: who (which business or person), what they do, and what harm it does.',
    descriptionRequired:
      'The description is the heart of a report; a few sentences are needed, e.g. "The pig farm by the village lets manure into the stream every day; the water is black and smells."',
    photosThenDescribe: (n) => `${n} photo(s) received. Please also describe the situation in words.`,
    since: 'Since when has this been happening? (e.g. "three days ago", "every night", "over a month")',
    sinceTooLong: 'Please say briefly when it started (under 100 characters), or tap "Skip".',
    sinceText: 'Please say in words when it started, or tap "Skip".',
    skip: 'Skip',
    done: 'Done',
    photos: (max, have) =>
      `If you have photos of the site, send them now (at most ${max})${have ? `; ${have} received so far` : ''}. Tap "Done" when finished, or "Skip" if you have none.`,
    photoReceived: (n) => `Photo ${n} received.`,
    photosDropped: (max, dropped) => `At most ${max} photos can be attached; the ${dropped} extra were not kept.`,
    photosAgain: 'Please send photos, or tap "Done" / "Skip".',
    contact:
      'Would you leave a phone number so the unit can check details and tell you the result? Only the officials handling this report see it; it is never published. You can also report anonymously (then nobody can call you back).',
    contactLeave: 'Leave a number',
    contactAnon: 'Anonymous',
    anonymousOk: 'OK, this report is anonymous; we will not record your phone number.',
    contactAgain: 'Please choose "Leave a number" or "Anonymous".',
    phone: 'Please type your mobile number, or a landline with its area code:',
    phoneSkipped: 'OK, no number: the report is filed as anonymous.',
    editWhich: 'What would you like to change?',
    edit: {
      category: 'Category',
      location: 'Place',
      description: 'Description',
      since: 'Since when',
      photos: 'Photos',
      contact: 'Contact',
    },
    editAgain: 'Please tap the item to change.',
    confirm: (summary) => `Please check your report:\n${summary}`,
    confirmSubmit: 'Submit',
    confirmEdit: 'Change',
    confirmAgain: 'Please tap "Submit", "Change" or "Cancel" — or answer "yes" or "no".',
    skippedStep: 'OK, skipped.',
    summary: {
      category: 'Category',
      place: 'Place',
      situation: 'What happens',
      since: 'Since',
      photos: 'Photos',
      contact: 'Contact',
      none: 'not given',
      unsaid: 'not said',
      anonymous: 'anonymous',
      phoneNote: ' (seen only by the handling unit)',
      photoCount: (n) => `${n}`,
    },
  },
  validation: {
    descriptionShort: (n) =>
      `That is too short: please write at least ${n} words (Chinese: ${n} characters) saying where and what happens.`,
    descriptionLong: (n) => `That is too long: please keep it under ${n} characters; short points are fine.`,
    phone:
      'That phone number does not look right: please type an 11-digit mobile number (like 13812345678) or a landline with its area code (like 023-47521234).',
  },
  notify: {
    statusChanged: (ticket, st, note) => `Your report ${ticket} is now "${st}"${note ? `: ${note}` : ''}.`,
    closed: (ticket, result) => `Your report ${ticket} has been handled.\nResult: ${result ?? ''}\nAre you satisfied with the result?`,
    satisfied: 'Satisfied',
    unsatisfied: 'Not satisfied',
    unitReopen: (ticket, reason, due) =>
      `[Reopened] ${ticket}: the reporter is not satisfied with the result${reason ? ` — ${reason}` : ' (no reason given)'}. Please handle it again by ${due}. Send /case ${ticket} to see it.`,
    unroutable: (ticket, unit) =>
      `[Unrouted] New report ${ticket} belongs to "${unit}", but nobody of that unit has bound a chat yet. The notice is kept and delivered once someone binds. Please issue the unit an invite code (npm run admin -- invite --unit ${unit} --role official).`,
    heldDelivered: (n) => `${n} notice(s) kept for your unit before it bound a chat:`,
  },
  photos: {
    none: (ticket) => `${ticket} has no photos.`,
    caption: (ticket, i, n) => `${ticket} photo ${i}/${n}`,
    count: (n) => `${n}`,
    viewHint: (ticket) => `(send /photos ${ticket} to see them)`,
    webLink: (url) => `View: ${url}`,
    expired: '(photo expired, cannot be shown)',
  },
  web: {
    staffSignInRequired:
      "Binding an official's identity in the web chat needs a sign-in first: ask an administrator for a web sign-in link (npm run admin -- login-link).",
  },
  wecom: {
    chooseHint: '(reply with the number to choose)',
    locationHint: '(you can also send a location: tap "+" → "Location")',
    chosen: (label) => `Chosen: ${label}`,
    cardTitle: 'Please choose',
    photoRefused: (mb) =>
      `This file was not kept: only JPEG, PNG or WebP photos of at most ${mb} MB are accepted. Please send the photo again.`,
  },
  telegram: {
    sendLocation: '📍 Send my location',
  },
};
