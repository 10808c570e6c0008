// A plain <div> that is its own Vue component. NiceGUI re-renders the nearest component around an element
// that changed: a card is a Cell, so a new message count re-renders that card only; a service's grid is a
// Cell, so a card turning red re-renders that grid only, not the whole page.
export default {
  template: "<div><slot></slot></div>",
};
