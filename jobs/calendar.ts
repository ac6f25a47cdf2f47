/**
 * The working-day calendar: weekends are off, listed holidays are off, and listed make-up working
 * days (调休上班) are on even when they fall on a weekend. Dates are Asia/Shanghai calendar dates.
 */

/** Holidays and make-up working days. */
export interface WorkCalendar {
  holidays: string[];
  workdays: string[];
}

/** Whether a YYYY-MM-DD date is a working day. */
export function isWorkday(date: string, cal: WorkCalendar): boolean {
  if (cal.workdays.includes(date)) return true;
  if (cal.holidays.includes(date)) return false;
  const dow = new Date(`${date}T00:00:00Z`).getUTCDay();
  return dow !== 0 && dow !== 6;
}
