// A card's face: everything on a conversation card but its message count, drawn from one prop (cards.py,
// CardFace). Several root elements, no wrapper: each is a cell of the card's grid (console.css). Every value
// goes into text or an attribute; none is ever parsed as markup.
export default {
  props: { face: { type: String, required: true } }, // JSON, made once per change for every page (cards.py)
  computed: {
    f() {
      return JSON.parse(this.face);
    },
    others() {
      // Presence: the agents who have this conversation open, but not this page's own agent (frame.py).
      return (this.f.viewers || []).filter((viewer) => viewer.id !== window.handoffAgentId);
    },
    othersTitle() {
      return "Also viewing: " + this.others.map((viewer) => viewer.name).join(", ");
    },
  },
  methods: {
    started(iso) {
      return window.handoffRelative(iso); // console.js keeps it current
    },
    waited(iso) {
      return window.handoffWaited(iso); // console.js keeps it current, every second, without a re-render
    },
  },
  // The first root is the red card's halo (console.css, console.js): an element of its own, not a ::after, so
  // its pulse lives on when Vue moves the card.
  template: `
    <span class="hf-halo" aria-hidden="true"></span>
    <div :class="f.status_class" role="status">{{ f.status }}</div>
    <div v-if="f.agent" :class="f.agent_class" role="status">{{ f.agent }}</div>
    <div class="hf-flags row wrap justify-end gap-1">
      <div v-for="flag in f.flags" :key="flag.kind" :class="flag.class" role="status" data-testid="flag-badge"
        :data-flag="flag.kind" :title="flag.title">{{ flag.word }}</div>
    </div>
    <div class="hf-where text-caption text-grey-8">{{ f.where }}</div>
    <div class="hf-question text-body2">{{ f.question }}</div>
    <div v-if="f.waiting_since" class="hf-waiting text-caption" data-testid="waiting"
      :data-wait-since="f.waiting_since">{{ waited(f.waiting_since) }}</div>
    <div v-if="others.length" class="hf-viewers" data-testid="viewers" :title="othersTitle">
      <span class="material-icons text-grey-7" style="font-size: 16px" aria-hidden="true">visibility</span>
      <span v-for="viewer in others" :key="viewer.id" class="hf-avatar" :title="viewer.name">{{ viewer.initials }}</span>
    </div>
    <div class="hf-started text-caption text-grey-7" :data-ts="f.started_at">{{ started(f.started_at) }}</div>
  `,
};
