package producer

import (
	"context"

	"github.com/salesstream/salesstream/internal/platform/topics"
)

// Topics returns the topics p writes: the sales topic, with partitions if
// it has to be created, and the reject topic.
func (p *Producer) Topics(partitions int32) []topics.Spec {
	return []topics.Spec{{Name: p.cfg.Topic, Partitions: partitions}, {Name: p.cfg.RejectTopic, Partitions: 1}}
}

// ResumeFromTopics reads the tails of p's sales and reject topics and makes
// Run skip the rows an earlier run of the same source had acknowledged. It
// returns where that run stopped.
func (p *Producer) ResumeFromTopics(ctx context.Context) (*Resume, error) {
	r, err := LoadResume(ctx, p.cl, p.cfg.Topic, p.cfg.RejectTopic, p.cfg.SourceName)
	if err != nil {
		return nil, err
	}
	p.cfg.Resume = r
	return r, nil
}
