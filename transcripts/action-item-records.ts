// Where action items are kept (table action_item): the summary's replaced when the pipeline summarises again (a
// person's, those a person changed or ticked, and the marks of those a person deleted stay, and the summary's words
// they were made from are not made again), and read in order for the transcript's view, its webhook and its search.
import type { EntityManager } from '@mikro-orm/core';
import { ActionItem } from '../db/entities.ts';
import type { DerivedActionItem } from './action-items.ts';

export const ACTION_ITEM_ORDER = { position: 'asc', createdAt: 'asc' } as const;

/** Replaces the summary's untouched items of a transcript with `derived`, in one transaction (a retry makes the same). */
export async function replaceSummaryActionItems(em: EntityManager, transcriptId: string, derived: readonly DerivedActionItem[]): Promise<void> {
  await em.transactional(async (tx) => {
    await tx.nativeDelete(ActionItem, { transcript: transcriptId, source: 'summary', touched: false, deletedAt: null });
    const kept = await tx.find(ActionItem, { transcript: transcriptId, source: 'summary' }, { fields: ['summaryText'] });
    const known = new Set(kept.map((item) => item.summaryText));
    derived.forEach((item, position) => {
      if (!known.has(item.text)) tx.create(ActionItem, { transcript: transcriptId, position, source: 'summary', summaryText: item.text, ...item });
    });
  });
}

/** A transcript's items as shown (not the marks of deleted ones), in order. */
export function listActionItems(em: EntityManager, transcriptId: string): Promise<ActionItem[]> {
  return em.find(ActionItem, { transcript: transcriptId, deletedAt: null }, { orderBy: ACTION_ITEM_ORDER });
}

/** The texts of a transcript's action items, in order. */
export async function actionItemTexts(em: EntityManager, transcriptId: string): Promise<string[]> {
  return (await listActionItems(em, transcriptId)).map((item) => item.text);
}
