import { Controller, Get, Res } from '@nestjs/common';
import { MetricsService } from './metrics.service';

/** `GET /metrics`: the app's Prometheus registry in text format (SPEC §9). */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  async scrape(
    @Res({ passthrough: true }) res: { setHeader(name: string, value: string): unknown },
  ): Promise<string> {
    res.setHeader('Content-Type', this.metrics.contentType);
    res.setHeader('Cache-Control', 'no-store');
    return this.metrics.render();
  }
}
