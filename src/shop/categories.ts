// The three-level category tree. A category is known by its parent and its
// name: creating one that exists answers the existing one, so an admin (or
// the demo seed) may safely repeat the call.
import { AppError } from "../lib/errors.ts";
import { isUniqueViolation } from "../store/store.ts";
import type { ShopRepo } from "./repo.ts";
import { MAX_CATEGORY_LEVEL, type Category, type CategoryNode } from "./types.ts";

export function createCategories(repo: ShopRepo) {
  return {
    async create(input: { categoryName: string; level: number; parentId?: number | null }): Promise<Category> {
      const parentId = input.parentId ?? null;
      if (input.level < 1 || input.level > MAX_CATEGORY_LEVEL) throw new AppError("PARAM_ERROR", `level: must be 1..${MAX_CATEGORY_LEVEL}`);
      if (input.level === 1 && parentId !== null) throw new AppError("PARAM_ERROR", "parentId: a level-1 category has no parent");
      if (input.level > 1) {
        if (parentId === null) throw new AppError("PARAM_ERROR", `parentId: a level-${input.level} category needs a level-${input.level - 1} parent`);
        const parent = await repo.getCategory(parentId);
        if (!parent) throw new AppError("PARAM_ERROR", `parentId: category ${parentId} does not exist`);
        if (parent.level !== input.level - 1) {
          throw new AppError("PARAM_ERROR", `parentId: category ${parentId} is level ${parent.level}; a level-${input.level} category needs a level-${input.level - 1} parent`);
        }
      }
      const existing = await repo.findSiblingCategory(parentId, input.categoryName);
      if (existing) return existing;
      try {
        const categoryId = await repo.insertCategory({ categoryName: input.categoryName, level: input.level, parentId });
        return { categoryId, categoryName: input.categoryName, level: input.level, parentId };
      } catch (e) {
        // A concurrent create of the same sibling won the insert.
        if (!isUniqueViolation(e)) throw e;
        return (await repo.findSiblingCategory(parentId, input.categoryName))!;
      }
    },

    async get(categoryId: number): Promise<Category | null> {
      return repo.getCategory(categoryId);
    },

    /** Every category as a tree of level-1 roots, children by id. */
    async tree(): Promise<CategoryNode[]> {
      const nodes = new Map<number, CategoryNode>();
      const roots: CategoryNode[] = [];
      // Listed by level, so a parent is always placed before its children.
      for (const c of await repo.listCategories()) {
        const node: CategoryNode = { ...c, children: [] };
        nodes.set(c.categoryId, node);
        if (c.parentId === null) roots.push(node);
        else nodes.get(c.parentId)?.children.push(node);
      }
      return roots;
    },
  };
}

export type Categories = ReturnType<typeof createCategories>;
