// A card's face: everything on a conversation card but its message count, drawn from one prop (cards.py,
// CardFace). Several root elements, no wrapper: each is a cell of the card's grid (console.css). Every value
// goes into text or an attribute; none is ever parsed as markup.
export default {
  props: { face: { type: Object, required: true } },
  template: `
    <div :class="face.status_class" role="status">{{ face.status }}</div>
    <div v-if="face.agent" :class="face.agent_class" role="status">{{ face.agent }}</div>
    <div class="hf-flags row no-wrap gap-1">
      <div v-for="flag in face.flags" :key="flag.kind" :class="flag.class" role="status" data-testid="flag-badge"
        :data-flag="flag.kind" :title="flag.title">{{ flag.word }}</div>
    </div>
    <div class="hf-where text-caption text-grey-8">{{ face.where }}</div>
    <div class="hf-question text-body2">{{ face.question }}</div>
    <div class="hf-started text-caption text-grey-7" :data-ts="face.started_at">{{ face.started }}</div>
  `,
};
