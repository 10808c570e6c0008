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
//
// A board push (board_push.py) is one card's change sent once to every page that can follow it: the grid
// applies it to its own elements as NiceGUI's update would have (the server changed its copies of them the
// same way and took those updates back). The card showing the conversation, or else the grid's last card
// (which the server gave to the conversation entering), gets the new face, count and state and moves to the
// card's rank. Each element that changed is replaced by a new object, as NiceGUI's update replaces it.
//
// A push is applied in its turn among NiceGUI's own messages: NiceGUI works through them one at a time, and
// one can wait (loading a component's code), holding the ones after it; an update of the same card sent
// before the push but applied after it would undo it. So the push is queued here and a message asking to
// apply it is put in NiceGUI's queue, as if the server had sent it (NiceGUI's own run_javascript handler,
// with a fixed call: nothing the server sent is run).
import { h } from "vue";

const EVENT = "handoff_card";

function replaced(elements, id, change) {
  const element = elements[id];
  const next = change(element);
  if (next !== element) elements[id] = next;
}

export default {
  props: { service: { type: String, required: true } },
  created() {
    this.kept = new Map(); // element id -> { element, vnode }; not reactive: written while rendering
    this.pending = []; // pushes received, not yet applied
    this.onPush = (change) => {
      if (change.service !== this.service) return;
      this.pending.push(change);
      const inTurn = window.socket.listeners("run_javascript")[0]; // NiceGUI's handler: queues it
      const call = `getElement(${JSON.stringify(this.$attrs.id.substring(1))})?.applyPending()`;
      if (inTurn) inTurn({ code: call, request_id: null });
      else this.applyPending();
    };
    window.handoffWithSocket((socket) => {
      if (!this.gone) socket.on(EVENT, this.onPush);
    }); // console.js
  },
  unmounted() {
    this.gone = true;
    window.socket?.off(EVENT, this.onPush);
  },
  methods: {
    applyPending() {
      const change = this.pending.shift();
      if (change !== undefined) this.apply(change);
    },
    apply(change) {
      const elements = this.$root.elements;
      const gridId = this.$attrs.id.substring(1);
      const ids = elements[gridId]?.children ?? [];
      const shown = ids.find((id) => elements[id]?.props?.["data-conversation-id"] === change.id);
      const cardId = shown ?? ids[ids.length - 1];
      const card = elements[cardId];
      if (card === undefined) return;
      const [faceId, metaId] = card.children;
      const countId = elements[metaId].children[0];
      replaced(elements, cardId, (element) => {
        const classes = (element.class ?? []).filter((name) => name !== "hf-attention");
        if (change.attention) classes.push("hf-attention"); // last, as the server's classes(add=...) puts it
        const state = { "data-conversation-id": change.id, "data-status": change.status };
        state["data-attention"] = String(change.attention);
        return { ...element, class: classes, props: { ...element.props, ...state } };
      });
      replaced(elements, faceId, (element) =>
        element.props.face === change.face ? element : { ...element, props: { ...element.props, face: change.face } },
      );
      replaced(elements, countId, (element) => (element.text === change.meta ? element : { ...element, text: change.meta }));
      if (ids.indexOf(cardId) !== change.rank) {
        const order = ids.filter((id) => id !== cardId);
        order.splice(change.rank, 0, cardId);
        replaced(elements, gridId, (element) => ({ ...element, children: order }));
      }
    },
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
