// A plain <div> that is its own Vue component. NiceGUI re-renders the nearest component around an element
// that changed: a card's line that changes with every message sits in a Cell, so only the Cell re-renders,
// not the whole card.
export default {
  template: "<div><slot></slot></div>",
};
