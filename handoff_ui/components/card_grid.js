// A service's grid of cards (services_view.py, CardGrid): a <div> whose children are rendered again only when
// their own element changed.
//
// NiceGUI renders an element's children from a slot function that builds a fresh vnode for every child each
// time the parent renders, and Vue always re-renders a child component that receives fresh slots. So when a
// card moved (the grid's list of children changed), every card of the grid was rendered again, each with its
// face and its count: 16 cards' worth of work on every page for one card that moved (issue 17: 15.9 ms of
// script per message on one page against 1.3 ms when the card kept its place).
//
// Here each child's vnode is kept with the element it was built from. While NiceGUI still holds the same
// element object for that child (it replaces the object whenever the server sends the element again), the
// kept vnode is returned; `memo` tells Vue not to copy it, and Vue skips a vnode identical to the one it
// patched last time (the mechanism behind Vue's own v-memo). A moved card is then one DOM node moved; a card
// that changed, or one that is new, is built as NiceGUI builds it (renderRecursively), with nothing lost.
//
// Reading `elements[id]` for every child keeps this render subscribed to each child's element, as NiceGUI's
// own render is. Children here must not be changed in place in the browser (inputs that write their value
// back do that); cards never are. `renderRecursively` is NiceGUI's own (nicegui.js, a classic script, so a
// global); the browser tests of the board fail if it ever goes.
import { h } from "vue";

export default {
  created() {
    this.kept = new Map(); // element id -> { element, vnode }; not reactive: written while rendering
  },
  render() {
    const elements = this.$root.elements;
    // The ids as NiceGUI has them (numbers): an event names its element by the id it was rendered with.
    const ids = elements[this.$attrs.id.substring(1)]?.children ?? [];
    const kept = this.kept;
    const children = [];
    for (const id of ids) {
      const element = elements[id];
      const known = kept.get(id);
      if (known !== undefined && known.element === element) {
        children.push(known.vnode);
        continue;
      }
      const vnode = globalThis.renderRecursively(elements, id);
      if (vnode === undefined) continue;
      vnode.memo = [element];
      kept.set(id, { element, vnode });
      children.push(vnode);
    }
    if (kept.size > ids.length) {
      const present = new Set(ids);
      for (const id of kept.keys()) if (!present.has(id)) kept.delete(id);
    }
    return h("div", children);
  },
};
