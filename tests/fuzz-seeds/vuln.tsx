import { exec } from 'child_process';
const A = (p: {q: string}) => <div dangerouslySetInnerHTML={{__html: p.q}} />;
exec(`ls ${p.q}` as any);
