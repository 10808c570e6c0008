// An element that is its own Vue component: a <div>, or the tag its `tag` prop names. NiceGUI re-renders the
// nearest component around an element that changed: a card is a Cell, so a new message count re-renders that
// card only; a service's grid sits in a Cell, so a card moving re-renders that grid only, not the whole page.
import { h } from "vue";

export default {
  props: { tag: { type: String, default: "div" } },
  render() {
    return h(this.tag, this.$slots.default?.());
  },
};
